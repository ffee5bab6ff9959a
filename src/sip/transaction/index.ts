/** L4 sip/transaction: RFC 3261 §17 client and server transactions (with RFC 6026 Accepted), matching, CANCEL. */

export { type CancelOptions, ClientInviteTransaction } from './client-invite.js';
export { ClientNonInviteTransaction } from './client-non-invite.js';
export {
  ClientTransaction,
  type ClientTransactionEvents,
  type ClientTransactionState,
} from './client-transaction.js';
export { ServerInviteTransaction } from './server-invite.js';
export { ServerNonInviteTransaction } from './server-non-invite.js';
export {
  ServerTransaction,
  type ServerTransactionEvents,
  type ServerTransactionState,
} from './server-transaction.js';
export { TRANSACTION_DEFAULTS, type TransactionTimers, transactionTimers } from './timers.js';
export {
  TransactionLayer,
  type TransactionLayerEvents,
  type TransactionLayerOptions,
} from './transaction-layer.js';
