/**
 * The SUBSCRIBE/NOTIFY framework (RFC 6665) for any event package: a
 * {@link Subscription} subscribes, refreshes before expiry and follows the
 * notifier's Subscription-State; an {@link IncomingSubscription} is the
 * notifier's side, with an expiry timer and `notify()`.
 */
import { type ClockTimer, StrowgerError, TypedEmitter } from '../../core/index.js';
import { Dialog } from '../dialog/index.js';
import type { HeaderInput, SipRequest, SipResponse, Uri } from '../message/index.js';
import type { ServerInviteTransaction, ServerNonInviteTransaction } from '../transaction/index.js';
import type { DigestCredentials } from './digest-client.js';
import { SipResponseError } from './errors.js';
import type { DialogUsage, UserAgent } from './user-agent.js';

export interface SubscribeOptions {
  /** Requested duration in seconds; default 3600. */
  expires?: number;
  /** Accept header (the body types wanted in NOTIFYs). */
  accept?: string;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  body?: string;
  contentType?: string;
  auth?: DigestCredentials | false;
  /** Refresh this long before expiry, but never later than half-way; default 30 s. */
  refreshMarginSec?: number;
}

export interface NotifyInfo {
  request: SipRequest;
  /** `active`, `pending`, `terminated` … */
  state: string;
  expires: number | undefined;
  reason: string | undefined;
  body: string;
  contentType: string | undefined;
}

export type SubscriptionEvents = {
  notify: [info: NotifyInfo];
  /** Ended: by the notifier (NOTIFY terminated), by a failed refresh, or by us. */
  terminated: [info: { reason: string | undefined; status?: number }];
  close: [];
};

const SEP = '\u0000';

/** The subscriber's side of one subscription. */
export class Subscription extends TypedEmitter<SubscriptionEvents> implements DialogUsage {
  readonly event: string;
  readonly target: Uri;
  dialog: Dialog | undefined;
  /** Seconds the notifier granted. */
  expires = 0;
  /** The state of the last NOTIFY. */
  state: string | undefined;
  readonly #ua: UserAgent;
  readonly #options: SubscribeOptions;
  #request: SipRequest | undefined;
  #pendingKey = '';
  #refresh: ClockTimer | undefined;
  #linger: ClockTimer | undefined;
  #terminated = false;
  #unsubscribing = false;

  /** @internal use ua.subscribe() */
  constructor(ua: UserAgent, target: Uri, event: string, options: SubscribeOptions) {
    super();
    this.#ua = ua;
    this.target = target;
    this.event = event;
    this.#options = options;
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  get closed(): boolean {
    return this.#terminated;
  }

  /** @internal */
  async _start(): Promise<Subscription> {
    const ua = this.#ua;
    const expires = this.#options.expires ?? 3600;
    const req = ua._createRequest('SUBSCRIBE', this.target, {
      headers: [
        ['Event', this.event],
        ['Expires', String(expires)],
        ...(this.#options.accept ? [['Accept', this.#options.accept] as const] : []),
        ...(this.#options.headers ?? []),
      ],
      ...(this.#options.body === undefined
        ? {}
        : { body: this.#options.body, contentType: this.#options.contentType ?? 'text/plain' }),
    });
    this.#request = req;
    this.#pendingKey = `${req.callId}${SEP}${req.fromTag ?? ''}`;
    ua._trackSubscription(this, this.#pendingKey);
    let res: SipResponse;
    try {
      res = await ua._sendAuthenticated(req, ua._outOfDialogTarget(req.uri), this.#options.auth, (r) => {
        this.#request = r;
      });
    } catch (err) {
      this.#terminate(undefined, undefined);
      throw err;
    }
    if (res.status >= 300) {
      this.#terminate('rejected', res.status);
      throw new SipResponseError(res);
    }
    if (this.#terminated) return this;
    if (!this.dialog) {
      const dialog = Dialog.fromResponse(this.#request, res);
      this.dialog = dialog;
      ua._registerDialog(dialog, this);
    } else this.dialog.refreshTarget(res);
    ua._unpendSubscription(this.#pendingKey, this);
    this.#granted(res.expires ?? expires);
    return this;
  }

  /** @internal A NOTIFY that arrived before the 2xx to our SUBSCRIBE: it creates the dialog. */
  _onFirstNotify(tx: ServerInviteTransaction | ServerNonInviteTransaction): void {
    const req = this.#request;
    if (!req) return;
    const dialog = Dialog.fromNotify(req, tx.request);
    dialog.remoteSeq = undefined;
    this.dialog = dialog;
    this.#ua._registerDialog(dialog, this);
    this.#ua._unpendSubscription(this.#pendingKey, this);
    this._onRequest(tx, dialog);
  }

  /** @internal */
  _onRequest(tx: ServerInviteTransaction | ServerNonInviteTransaction, dialog: Dialog): void {
    const ua = this.#ua;
    const req = tx.request;
    const bad = dialog.receiveRequest(req);
    if (bad !== undefined) {
      tx.respond(bad, { headers: ua._responseHeaders() });
      return;
    }
    if (req.method !== 'NOTIFY') {
      tx.respond(405, { headers: [['Allow', 'NOTIFY'], ...ua._responseHeaders()] });
      return;
    }
    const ev = req.event;
    if (!ev || ev.type.toLowerCase() !== this.event.split(';')[0]?.trim().toLowerCase()) {
      tx.respond(489, { reason: 'Bad Event', headers: ua._responseHeaders() });
      return;
    }
    const ss = req.subscriptionState;
    if (!ss) {
      tx.respond(400, { reason: 'Bad Request (no Subscription-State)', headers: ua._responseHeaders() });
      return;
    }
    tx.respond(200, { headers: ua._responseHeaders() });
    dialog.refreshTarget(req);
    this.state = ss.state;
    this.emit('notify', {
      request: req,
      state: ss.state,
      expires: ss.expires,
      reason: ss.reason,
      body: req.bodyText,
      contentType: req.contentType?.essence,
    });
    if (ss.state === 'terminated') {
      this.#terminate(ss.reason, undefined);
      return;
    }
    if (ss.expires !== undefined && !this.#unsubscribing && (this.expires === 0 || ss.expires < this.expires))
      this.#granted(ss.expires);
  }

  #granted(expires: number): void {
    this.expires = expires;
    this.#refresh?.cancel();
    this.#refresh = undefined;
    if (this.#terminated || expires <= 0) return;
    const margin = this.#options.refreshMarginSec ?? 30;
    const at = Math.max(expires / 2, expires - margin) * 1000;
    this.#refresh = this.#ua.clock.setTimeout(() => {
      this.#refresh = undefined;
      this.refresh().catch(() => undefined);
    }, at);
  }

  /** Refreshes the subscription now (SUBSCRIBE in the dialog); 481/408 or another failure terminates it. */
  async refresh(expires = this.#options.expires ?? 3600): Promise<void> {
    const res = await this.#subscribeInDialog(expires);
    if (res.status >= 200 && res.status < 300) this.#granted(res.expires ?? expires);
    else {
      this.#terminate('refresh-failed', res.status);
      throw new SipResponseError(res);
    }
  }

  async #subscribeInDialog(expires: number): Promise<SipResponse> {
    const dialog = this.dialog;
    if (!dialog || this.#terminated)
      throw new StrowgerError('ERR_INVALID_STATE', 'the subscription is not active');
    const ua = this.#ua;
    const headers: Array<readonly [string, HeaderInput]> = [
      ['Event', this.event],
      ['Expires', String(expires)],
    ];
    ua._decorate(headers, 'SUBSCRIBE');
    const req = dialog.createRequest('SUBSCRIBE', { headers });
    return ua._sendAuthenticated(req, ua._dialogTarget(dialog), this.#options.auth, (r) => {
      dialog.localSeq = r.cseq.seq;
    });
  }

  /**
   * Ends the subscription (SUBSCRIBE with Expires: 0); the notifier's final
   * NOTIFY is still accepted for 64·T1. Idempotent.
   */
  async unsubscribe(): Promise<void> {
    if (this.#terminated || this.#unsubscribing) return;
    this.#unsubscribing = true;
    this.#refresh?.cancel();
    this.#refresh = undefined;
    if (!this.dialog) {
      this.#terminate('unsubscribed', undefined);
      return;
    }
    try {
      await this.#subscribeInDialog(0);
    } catch {
      // ignored: we are leaving anyway
    }
    if (this.#terminated) return;
    this.#linger = this.#ua.clock.setTimeout(
      () => this.#terminate('unsubscribed', undefined),
      64 * this.#ua.transactions.t1,
    );
  }

  close(): void {
    this.unsubscribe().catch(() => undefined);
  }

  /** @internal */
  _shutdown(): Promise<void> {
    return this.unsubscribe();
  }

  /** @internal */
  _destroy(): void {
    this.#terminate('closed', undefined);
  }

  #terminate(reason: string | undefined, status: number | undefined): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#refresh?.cancel();
    this.#linger?.cancel();
    if (this.dialog) {
      this.dialog.terminate();
      this.#ua._unregisterDialog(this.dialog, this);
    }
    this.#ua._untrackSubscription(this, this.#pendingKey);
    this.emit('terminated', { reason, ...(status === undefined ? {} : { status }) });
    this.emit('close');
  }
}

export type IncomingSubscriptionEvents = {
  /** The subscriber refreshed (new duration in seconds). */
  refreshed: [expires: number];
  /** Ended: the subscriber unsubscribed, it expired, or we terminated it. */
  terminated: [info: { reason: string }];
  close: [];
};

export interface NotifyOptions {
  contentType?: string;
  /** Reason for `terminated` (RFC 6665 §4.1.3): `noresource`, `deactivated`, `timeout`, `rejected`, `giveup`. */
  reason?: string;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
}

/** The notifier's side: accept or reject, then notify. */
export class IncomingSubscription extends TypedEmitter<IncomingSubscriptionEvents> implements DialogUsage {
  readonly request: SipRequest;
  /** The event package (`presence`, `dialog`, `message-summary` …). */
  readonly event: string;
  readonly id: string | undefined;
  /** The authenticated subscriber, if the UA checked. */
  user: string | undefined;
  dialog: Dialog | undefined;
  /** Seconds granted. */
  expires = 0;
  readonly #ua: UserAgent;
  readonly #tx: ServerNonInviteTransaction;
  #expiry: ClockTimer | undefined;
  #expiresAt = 0;
  #terminated = false;

  /** @internal */
  constructor(ua: UserAgent, tx: ServerNonInviteTransaction, user?: string) {
    super();
    this.#ua = ua;
    this.#tx = tx;
    this.request = tx.request;
    this.user = user;
    let type = '';
    let id: string | undefined;
    try {
      const ev = tx.request.event;
      type = ev?.type ?? '';
      id = ev?.id;
    } catch {
      type = '';
    }
    this.event = type;
    this.id = id;
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** The subscriber asked for this many seconds (Expires), if it said. */
  get requestedExpires(): number | undefined {
    return this.request.expires;
  }

  /** @internal Answers malformed SUBSCRIBEs; true when the application should see it. */
  _validate(): boolean {
    const ua = this.#ua;
    if (!this.event) {
      this.#tx.respond(489, { reason: 'Bad Event', headers: ua._responseHeaders() });
      return false;
    }
    if (this.request.contacts.length === 0) {
      this.#tx.respond(400, { reason: 'Bad Request (no Contact)', headers: ua._responseHeaders() });
      return false;
    }
    if (this.request.expires === 0) {
      // a fetch (RFC 6665 §4.4.3) is still accepted; the application decides
    }
    return true;
  }

  /**
   * Accepts (200, or 202 for a pending subscription) for `expires` seconds
   * (default what was asked, at most 3600). Send the first NOTIFY next.
   */
  accept(options: { expires?: number; status?: 200 | 202 } = {}): void {
    if (this.#tx.expired) {
      // too late: the transaction layer stopped waiting (64·T1); the transaction drops it and reports it
      this.#tx.respond(options.status ?? 200);
      this.#terminated = true;
      return;
    }
    if (this.#tx.finalStatus !== undefined)
      throw new StrowgerError('ERR_INVALID_STATE', 'the SUBSCRIBE was already answered');
    const ua = this.#ua;
    const expires = options.expires ?? Math.min(this.requestedExpires ?? 3600, 3600);
    const tx = this.#tx;
    const contact = ua.contactUri(tx.inbound.transport.protocol);
    tx.respond(options.status ?? 200, {
      headers: [
        ['Expires', String(expires)],
        ['Contact', `<${contact.toString()}>`],
        ...ua._responseHeaders(),
      ],
    });
    const dialog = Dialog.fromRequest(this.request, tx.localTag, contact, 'confirmed');
    ua._setFlow(dialog, tx.inbound);
    this.dialog = dialog;
    ua._registerDialog(dialog, this);
    ua._trackSubscription(this);
    this.#setExpiry(expires);
  }

  /** Refuses the subscription (403 by default; 489 for an event package we do not serve). */
  reject(status = 403, reason?: string): void {
    this.#tx.respond(status, { headers: this.#ua._responseHeaders(), ...(reason ? { reason } : {}) });
    this.#terminated = true;
  }

  /**
   * Sends a NOTIFY with the current state; `terminated` ends the
   * subscription. A 481 answer ends it too. Resolves with the final response.
   */
  async notify(
    state: 'active' | 'pending' | 'terminated',
    body?: string,
    options: NotifyOptions = {},
  ): Promise<SipResponse | undefined> {
    const dialog = this.dialog;
    if (!dialog || dialog.state === 'terminated') return undefined;
    const ua = this.#ua;
    let ss: string;
    if (state === 'terminated') ss = `terminated;reason=${options.reason ?? 'noresource'}`;
    else ss = `${state};expires=${Math.max(0, Math.round((this.#expiresAt - ua.clock.now()) / 1000))}`;
    const headers: Array<readonly [string, HeaderInput]> = [
      ['Event', this.id === undefined ? this.event : `${this.event};id=${this.id}`],
      ['Subscription-State', ss],
      ...(options.headers ?? []),
    ];
    ua._decorate(headers, 'NOTIFY');
    const req = dialog.createRequest('NOTIFY', {
      headers,
      ...(body === undefined ? {} : { body, contentType: options.contentType ?? 'text/plain' }),
    });
    if (state === 'terminated') this.#end(options.reason ?? 'noresource', false);
    let res: SipResponse;
    try {
      res = await ua._sendAuthenticated(req, ua._dialogTarget(dialog), undefined, (r) => {
        dialog.localSeq = r.cseq.seq;
      });
    } catch (err) {
      if (state !== 'terminated') this.#end('giveup', false);
      throw err;
    }
    if (res.status === 481 || res.status === 408) this.#end('giveup', false);
    return res;
  }

  /** @internal A refresh or unsubscribe from the subscriber. */
  _onRequest(tx: ServerInviteTransaction | ServerNonInviteTransaction, dialog: Dialog): void {
    const ua = this.#ua;
    const bad = dialog.receiveRequest(tx.request);
    if (bad !== undefined) {
      tx.respond(bad, { headers: ua._responseHeaders() });
      return;
    }
    if (tx.request.method !== 'SUBSCRIBE') {
      tx.respond(405, { headers: [['Allow', 'SUBSCRIBE'], ...ua._responseHeaders()] });
      return;
    }
    const expires = Math.min(tx.request.expires ?? 3600, 3600);
    tx.respond(200, { headers: [['Expires', String(expires)], ...ua._responseHeaders()] });
    dialog.refreshTarget(tx.request);
    if (expires === 0) {
      this.notify('terminated', undefined, { reason: 'timeout' }).catch(() => undefined);
      return;
    }
    this.#setExpiry(expires);
    this.emit('refreshed', expires);
  }

  #setExpiry(expires: number): void {
    this.expires = expires;
    this.#expiry?.cancel();
    this.#expiresAt = this.#ua.clock.now() + expires * 1000;
    this.#expiry = this.#ua.clock.setTimeout(() => {
      this.#expiry = undefined;
      this.notify('terminated', undefined, { reason: 'timeout' }).catch(() => undefined);
    }, expires * 1000);
  }

  close(): void {
    this.notify('terminated', undefined, { reason: 'deactivated' }).catch(() => undefined);
  }

  /** @internal */
  async _shutdown(): Promise<void> {
    await this.notify('terminated', undefined, { reason: 'deactivated' }).catch(() => undefined);
  }

  /** @internal */
  _destroy(): void {
    this.#end('closed', true);
  }

  #end(reason: string, unregister: boolean): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.#expiry?.cancel();
    this.#expiry = undefined;
    const ua = this.#ua;
    ua._untrackSubscription(this);
    if (this.dialog) {
      // keep routing until the terminating NOTIFY is sent (createRequest needs a live dialog)
      const d = this.dialog;
      if (unregister) {
        d.terminate();
        ua._unregisterDialog(d, this);
      } else {
        queueMicrotask(() => {
          d.terminate();
          ua._unregisterDialog(d, this);
        });
      }
    }
    this.emit('terminated', { reason });
    this.emit('close');
  }
}
