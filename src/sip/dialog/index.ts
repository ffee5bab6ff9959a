/** L5 sip/dialog: dialog state (RFC 3261 §12), glare timers, reliable provisionals (RFC 3262), session timers (RFC 4028). */
export {
  Dialog,
  type DialogId,
  type DialogInit,
  type DialogState,
  dialogIdOfIncomingRequest,
  dialogIdOfResponse,
  dialogKey,
  type InDialogRequestOptions,
} from './dialog.js';
export { glareRetryDelay } from './glare.js';
export { isReliableProvisional, RSeqCounter, RSeqTracker, rackFor } from './reliable-provisional.js';
export {
  expiryDelayMs,
  MIN_SESSION_EXPIRES,
  refreshDelayMs,
  SESSION_TIMER_DEFAULTS,
  type SessionTimer,
  type SessionTimerConfig,
  sessionTimerHeaders,
  type UasSessionTimerDecision,
  uacSessionTimer,
  uasSessionTimer,
} from './session-timer.js';
