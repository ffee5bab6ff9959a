import { StrowgerError } from '../../core/index.js';

/** Why the digest client refused to answer a challenge. */
export type DigestClientFailure =
  /** Every Digest challenge named a realm the credentials are not configured for (no digest was sent). */
  | 'realm-not-allowed'
  /** No challenge used an algorithm and qop this client supports (or that the credentials have an HA1 for). */
  | 'unsupported'
  /** The challenge could not be parsed. */
  | 'malformed-challenge'
  /** The server challenged again after an answer to its own challenge: the credentials are wrong. */
  | 'rejected'
  /** The server said `stale=true` twice in a row. */
  | 'stale-loop';

/**
 * A digest authentication failure on the client side (code `ERR_AUTH`). The
 * `reason` is stable; the message is for people.
 */
export class DigestError extends StrowgerError {
  readonly reason: DigestClientFailure;
  readonly realm: string | undefined;

  constructor(
    reason: DigestClientFailure,
    message: string,
    options: { realm?: string; cause?: unknown } = {},
  ) {
    super('ERR_AUTH', message, { cause: options.cause });
    this.reason = reason;
    this.realm = options.realm;
  }
}
