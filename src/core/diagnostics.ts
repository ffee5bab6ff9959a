/**
 * Names of the `node:diagnostics_channel` channels Strowger publishes on.
 * Subscribing costs nothing when nobody listens.
 */
export const CHANNELS = Object.freeze({
  /** `{ emitter, event, error }` — a listener threw inside safeEmit. */
  listenerError: 'strowger:listener-error',
  /** `{ transport, direction, remote, bytes }` — a SIP message crossed a transport. */
  sipMessage: 'strowger:sip:message',
  /** `{ remote, error }` — a SIP message could not be parsed. */
  sipParseError: 'strowger:sip:parse-error',
});
