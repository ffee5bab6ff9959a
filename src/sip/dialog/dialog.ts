/**
 * Dialogs (RFC 3261 §12): the peer-to-peer SIP relationship an INVITE (or
 * SUBSCRIBE, REFER) creates, identified by Call-ID and the two tags. A
 * Dialog holds the state §12.1 lists — local and remote sequence numbers,
 * URIs, targets, route set, secure flag — creates in-dialog requests (§12.2.1)
 * and checks incoming ones (§12.2.2). Pure: no timers, no I/O.
 */
import { StrowgerError } from '../../core/index.js';
import {
  createRequest,
  type HeaderInput,
  NameAddr,
  type SipRequest,
  type SipResponse,
  SipUri,
  type Uri,
} from '../message/index.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Call-ID + local tag + remote tag, as the dialog's owner sees them. */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

/** A map key for a dialog id. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The id of the dialog an incoming in-dialog request belongs to, from our (the UAS's) side. */
export function dialogIdOfIncomingRequest(req: SipRequest): DialogId | undefined {
  const local = req.toTag;
  const remote = req.fromTag;
  if (local === undefined || remote === undefined) return undefined;
  return { callId: req.callId, localTag: local, remoteTag: remote };
}

/** The id of the dialog a response to our request belongs to (we are the UAC). */
export function dialogIdOfResponse(res: SipResponse): DialogId | undefined {
  const local = res.fromTag;
  const remote = res.toTag;
  if (local === undefined || remote === undefined) return undefined;
  return { callId: res.callId, localTag: local, remoteTag: remote };
}

export interface InDialogRequestOptions {
  body?: Uint8Array | string;
  contentType?: string;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  /** Reuse this CSeq number instead of taking the next (ACK and CANCEL do). */
  cseq?: number;
}

export interface DialogInit {
  id: DialogId;
  role: 'uac' | 'uas';
  state: DialogState;
  localUri: NameAddr;
  remoteUri: NameAddr;
  localTarget: Uri;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  secure: boolean;
}

export class Dialog {
  readonly id: DialogId;
  /** Who sent the request that created the dialog. */
  readonly role: 'uac' | 'uas';
  #state: DialogState;
  /** From (UAC) or To (UAS) of the creating request, without tag parameters. */
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  /** Our Contact. */
  localTarget: Uri;
  /** The peer's Contact: where in-dialog requests go (updated by target refreshes). */
  remoteTarget: Uri;
  /** Route set, in the order Route headers are written. */
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly secure: boolean;

  constructor(init: DialogInit) {
    this.id = init.id;
    this.role = init.role;
    this.#state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.localTarget = init.localTarget;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
  }

  get state(): DialogState {
    return this.#state;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * The UAC side of a dialog created by a response with a To tag to our
   * request (§12.1.2): 1xx makes an early dialog, 2xx a confirmed one.
   */
  static fromResponse(request: SipRequest, response: SipResponse): Dialog {
    const remoteTag = response.toTag;
    const localTag = request.fromTag;
    if (remoteTag === undefined || localTag === undefined) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'a dialog needs a From tag on the request and a To tag on the response',
      );
    }
    const contact = response.contacts[0];
    const local = request.contacts[0];
    if (!local) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a dialog-creating request needs a Contact');
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      role: 'uac',
      state: response.status >= 200 ? 'confirmed' : 'early',
      localUri: withoutTag(request.from),
      remoteUri: withoutTag(response.to),
      localTarget: local.uri,
      // A 1xx may lack a Contact; the Request-URI stands in until one arrives.
      remoteTarget: contact?.uri ?? request.uri,
      routeSet: [...response.recordRoute].reverse(),
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      secure: request.uri instanceof SipUri && request.uri.isSecure,
    });
  }

  /**
   * The UAS side of a dialog created by our response with `localTag` to
   * `request` (§12.1.1). Starts early when the response is 1xx.
   */
  static fromRequest(
    request: SipRequest,
    localTag: string,
    localContact: Uri,
    state: DialogState = 'early',
  ): Dialog {
    const remoteTag = request.fromTag;
    if (remoteTag === undefined)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a dialog needs a From tag on the request');
    const contact = request.contacts[0];
    if (!contact)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a dialog-creating request needs a Contact');
    return new Dialog({
      id: { callId: request.callId, localTag, remoteTag },
      role: 'uas',
      state,
      localUri: withoutTag(request.to),
      remoteUri: withoutTag(request.from),
      localTarget: localContact,
      remoteTarget: contact.uri,
      routeSet: [...request.recordRoute],
      localSeq: 0,
      remoteSeq: request.cseq.seq,
      secure: request.uri instanceof SipUri && request.uri.isSecure,
    });
  }

  /**
   * The subscriber side of a dialog created by a NOTIFY that arrived before
   * the 2xx to our SUBSCRIBE or REFER (RFC 6665 §4.1.2.4): the NOTIFY's
   * From tag is the remote tag, its Contact the remote target and its
   * Record-Route (in received order) the route set.
   */
  static fromNotify(sent: SipRequest, notify: SipRequest): Dialog {
    const localTag = sent.fromTag;
    const remoteTag = notify.fromTag;
    const contact = notify.contacts[0];
    const local = sent.contacts[0];
    if (localTag === undefined || remoteTag === undefined || !contact || !local)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a NOTIFY dialog needs tags and Contacts');
    return new Dialog({
      id: { callId: sent.callId, localTag, remoteTag },
      role: 'uac',
      state: 'confirmed',
      localUri: withoutTag(sent.from),
      remoteUri: withoutTag(sent.to),
      localTarget: local.uri,
      remoteTarget: contact.uri,
      routeSet: [...notify.recordRoute],
      localSeq: sent.cseq.seq,
      remoteSeq: notify.cseq.seq,
      secure: sent.uri instanceof SipUri && sent.uri.isSecure,
    });
  }

  /** True when this side sent the dialog-creating request (it owns the Call-ID, RFC 3261 §14.1). */
  get ownsCallId(): boolean {
    return this.role === 'uac';
  }

  /** Early → confirmed (a 2xx for the creating request was sent or received). */
  confirm(): void {
    if (this.#state === 'early') this.#state = 'confirmed';
  }

  terminate(): void {
    this.#state = 'terminated';
  }

  /**
   * Builds an in-dialog request (§12.2.1.1): Request-URI and Route from the
   * remote target and route set (strict routing when the first route has no
   * `lr`), From/To with the tags, the next local CSeq (ACK and CANCEL reuse
   * the given one), our Contact. The caller adds the Via (transaction layer).
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    if (this.#state === 'terminated') throw new StrowgerError('ERR_INVALID_STATE', 'dialog is terminated');
    let cseq: number;
    if (options.cseq !== undefined) cseq = options.cseq;
    else {
      this.localSeq += 1;
      cseq = this.localSeq;
    }
    const { uri, routes } = this.#requestTarget();
    const from = this.localUri.clone();
    from.tag = this.id.localTag;
    const to = this.remoteUri.clone();
    to.tag = this.id.remoteTag;
    const headers: Array<readonly [string, HeaderInput]> = routes.map((r) => ['Route', r] as const);
    if (options.headers) headers.push(...options.headers);
    return createRequest({
      method,
      uri,
      from,
      to,
      callId: this.id.callId,
      cseq,
      contact:
        method === 'ACK' || method === 'CANCEL' || method === 'BYE'
          ? undefined
          : new NameAddr(this.localTarget),
      headers,
      body: options.body,
      contentType: options.contentType,
    });
  }

  /** The ACK for a 2xx to the INVITE with CSeq `inviteSeq` (§13.2.2.4): same CSeq number, method ACK. */
  createAck(inviteSeq: number, options: Omit<InDialogRequestOptions, 'cseq'> = {}): SipRequest {
    return this.createRequest('ACK', { ...options, cseq: inviteSeq });
  }

  /**
   * Checks an incoming in-dialog request (§12.2.2): a CSeq lower than (or,
   * except for ACK/CANCEL, equal to) the last one is out of order → 500.
   * Returns the status to reject with, or undefined after accounting it.
   */
  receiveRequest(request: SipRequest): number | undefined {
    const seq = request.cseq.seq;
    if (request.method === 'ACK' || request.method === 'CANCEL') return undefined;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return 500;
    this.remoteSeq = seq;
    return undefined;
  }

  /** A target refresh (re-INVITE, UPDATE, or their 2xx) replaces the remote target with its Contact (§12.2). */
  refreshTarget(message: SipRequest | SipResponse): void {
    const c = message.contacts[0];
    if (c) this.remoteTarget = c.uri;
  }

  /** Updates the route set and target from a 2xx that confirms an early UAC dialog (§13.2.2.4). */
  updateFromResponse(response: SipResponse): void {
    if (this.role !== 'uac') return;
    if (this.#state === 'early' && response.status >= 200)
      this.routeSet = [...response.recordRoute].reverse();
    this.refreshTarget(response);
  }

  /** Where an in-dialog request goes next: the first route, or the remote target. */
  nextHopUri(): Uri {
    return this.routeSet[0]?.uri ?? this.remoteTarget;
  }

  #requestTarget(): { uri: Uri; routes: string[] } {
    const first = this.routeSet[0];
    if (!first) return { uri: this.remoteTarget, routes: [] };
    const loose = first.uri instanceof SipUri && first.uri.params.has('lr');
    if (loose) return { uri: this.remoteTarget, routes: this.routeSet.map(String) };
    // strict routing (§12.2.1.1): the first route becomes the Request-URI, the remote target the last Route
    const uri = first.uri.clone();
    if (uri instanceof SipUri) {
      uri.params.delete('method');
      uri.headers.length = 0;
    }
    return { uri, routes: [...this.routeSet.slice(1).map(String), `<${this.remoteTarget.toString()}>`] };
  }
}

function withoutTag(na: NameAddr): NameAddr {
  const c = na.clone();
  c.params.delete('tag');
  return c;
}
