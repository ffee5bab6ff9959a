/** L5 sip/dialog: dialog state (RFC 3261 §12). */
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
