/**
 * REFER inside an invite dialog (RFC 3515) with its implicit subscription:
 * the referrer learns the outcome from NOTIFYs carrying message/sipfrag;
 * RFC 4488 (`Refer-Sub: false`, option tag `norefersub`) suppresses the
 * subscription; RFC 3891 puts a Replaces header in the Refer-To URI for an
 * attended transfer.
 */
import { StrowgerError } from '../../core/index.js';
import type { Dialog } from '../dialog/index.js';
import {
  type HeaderInput,
  type NameAddr,
  parseReplaces,
  parseUri,
  type Replaces,
  type SipRequest,
  type SipResponse,
  SipUri,
  type Uri,
  unescapeUri,
} from '../message/index.js';
import type { ServerNonInviteTransaction } from '../transaction/index.js';
import { SipResponseError } from './errors.js';
import type { InviteOptions, InviteSession } from './invite-session.js';

export interface ReferOptions {
  /** Attended transfer: the session (ours, with the transfer target) the new call replaces. */
  replaces?: InviteSession;
  /** Ask for no implicit subscription (RFC 4488); used only when the peer supports `norefersub`. */
  norefersub?: boolean;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
}

export interface ReferResult {
  /** The final status the peer reported for its call to the target (sipfrag), or the REFER's 2xx status without a subscription. */
  status: number;
  reason: string;
  /** The 2xx to the REFER. */
  response: SipResponse;
  /** False when the peer declined the implicit subscription (RFC 4488). */
  subscription: boolean;
}

/** Parses the status line of a message/sipfrag body (`SIP/2.0 200 OK`). */
export function parseSipfragStatus(body: string): { status: number; reason: string } | undefined {
  const m = /^SIP\/2\.0[ \t]+([1-6][0-9]{2})[ \t]*([^\r\n]*)/.exec(body.trimStart());
  if (!m) return undefined;
  return { status: Number(m[1]), reason: (m[2] as string).trim() };
}

/** @internal One REFER we sent and its implicit subscription. */
export class OutgoingRefer {
  id = '';
  readonly #session: InviteSession;
  readonly #target: Uri;
  readonly #options: ReferOptions;
  #resolve!: (r: ReferResult) => void;
  #reject!: (e: unknown) => void;
  #response: SipResponse | undefined;
  #final: { status: number; reason: string } | undefined;
  #done = false;

  constructor(session: InviteSession, target: string | Uri, options: ReferOptions) {
    this.#session = session;
    this.#target = typeof target === 'string' ? parseUri(target) : target.clone();
    this.#options = options;
  }

  _start(
    send: (headers: Array<readonly [string, HeaderInput]>) => Promise<SipResponse>,
    peerNoReferSub: boolean,
  ) {
    const promise = new Promise<ReferResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const uri = this.#target.clone();
    const rep = this.#options.replaces?.dialog;
    if (this.#options.replaces && !rep)
      return Promise.reject(new StrowgerError('ERR_INVALID_STATE', 'the session to replace has no dialog'));
    if (rep && uri instanceof SipUri) {
      // the target's view of that dialog (RFC 3891 §3): its local tag is our remote tag
      const value = `${rep.id.callId};to-tag=${rep.id.remoteTag};from-tag=${rep.id.localTag}`;
      uri.headers.push(['Replaces', escapeHeaderValue(value)]);
    }
    const local = this.#session.dialog?.localUri;
    const headers: Array<readonly [string, HeaderInput]> = [
      ['Refer-To', `<${uri.toString()}>`],
      ...(local ? [['Referred-By', `<${local.uri.toString()}>`] as const] : []),
      ...(this.#options.headers ?? []),
    ];
    if (this.#options.norefersub && peerNoReferSub) headers.push(['Refer-Sub', 'false']);
    send(headers).then(
      (res) => {
        if (res.status >= 300) {
          this.#finish();
          this.#reject(new SipResponseError(res));
          return;
        }
        this.#response = res;
        if (res.getHeader('Refer-Sub')?.trim().toLowerCase() === 'false') {
          this.#finish();
          this.#resolve({ status: res.status, reason: res.reason, response: res, subscription: false });
          return;
        }
        if (this.#final) this.#settle();
      },
      (err) => {
        this.#finish();
        this.#reject(err);
      },
    );
    return promise;
  }

  /** @internal A NOTIFY of this REFER's subscription (already answered 200). */
  _onNotify(req: SipRequest): void {
    const frag = parseSipfragStatus(req.bodyText);
    let terminated = false;
    try {
      terminated = req.subscriptionState?.state === 'terminated';
    } catch {
      terminated = false;
    }
    if (frag && frag.status >= 200) this.#final = frag;
    if (terminated && !this.#final) this.#final = frag ?? { status: 0, reason: 'subscription terminated' };
    if (this.#final && this.#response) this.#settle();
  }

  /** @internal */
  _sessionEnded(): void {
    if (this.#done) return;
    this.#done = true;
    this.#reject(new StrowgerError('ERR_CLOSED', 'the session ended before the REFER completed'));
  }

  #settle(): void {
    const f = this.#final;
    const res = this.#response;
    if (!f || !res) return;
    this.#finish();
    this.#resolve({ status: f.status, reason: f.reason, response: res, subscription: true });
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#session._referFinished(this.id);
  }
}

/**
 * A REFER the peer sent in our session. `accept()` answers 202 (or 200 with
 * `Refer-Sub: false` when the referrer asked for no subscription) and opens
 * the implicit subscription with a NOTIFY 100 Trying; report the outcome
 * with `notify(status)` — a final status ends the subscription.
 */
export class IncomingRefer {
  readonly request: SipRequest;
  readonly referTo: NameAddr;
  /** Where to call: the Refer-To URI without its headers. */
  readonly target: Uri;
  /** The dialog the new call must replace (attended transfer), from the Refer-To URI. */
  readonly replaces: Replaces | undefined;
  readonly referredBy: string | undefined;
  /** The referrer asked for no implicit subscription (RFC 4488). */
  readonly noSubscription: boolean;
  readonly #session: InviteSession;
  readonly #tx: ServerNonInviteTransaction;
  readonly #dialog: Dialog;
  #handled = false;
  #terminated = false;

  /** @internal */
  constructor(session: InviteSession, tx: ServerNonInviteTransaction, dialog: Dialog) {
    this.#session = session;
    this.#tx = tx;
    this.#dialog = dialog;
    this.request = tx.request;
    this.referTo = tx.request.referTo as NameAddr;
    const uri = this.referTo.uri.clone();
    let replaces: Replaces | undefined;
    if (uri instanceof SipUri) {
      const h = uri.headers.find(([n]) => n.toLowerCase() === 'replaces');
      if (h) {
        try {
          replaces = parseReplaces(unescapeUri(h[1]));
        } catch {
          replaces = undefined;
        }
      }
      uri.headers.length = 0;
    }
    this.target = uri;
    this.replaces = replaces;
    this.referredBy = tx.request.getHeader('Referred-By');
    this.noSubscription =
      tx.request.getHeader('Refer-Sub')?.trim().toLowerCase() === 'false' &&
      session.ua.supported.includes('norefersub');
  }

  get handled(): boolean {
    return this.#handled;
  }

  /** What to pass to `ua.invite(refer.target, …)` so the new call carries Replaces and Referred-By. */
  inviteOptions(): Pick<InviteOptions, 'replaces' | 'referredBy'> {
    return {
      ...(this.replaces ? { replaces: this.replaces } : {}),
      ...(this.referredBy === undefined ? {} : { referredBy: this.referredBy }),
    };
  }

  /** Accepts the REFER (202, or 200 + Refer-Sub: false) and sends NOTIFY 100 Trying. */
  accept(): void {
    this.#take();
    const ua = this.#session.ua;
    if (this.noSubscription) {
      this.#tx.respond(200, { headers: [['Refer-Sub', 'false'], ...ua._responseHeaders()] });
      this.#terminated = true;
      this.#session._referDone(this);
      return;
    }
    this.#tx.respond(202, { headers: ua._responseHeaders() });
    this.notify(100, 'Trying');
  }

  /** Refuses the REFER (603 Decline by default). */
  reject(status = 603, reason?: string): void {
    this.#take();
    this.#tx.respond(status, { headers: this.#session.ua._responseHeaders(), ...(reason ? { reason } : {}) });
    this.#terminated = true;
    this.#session._referDone(this);
  }

  /**
   * Reports the progress of the referred call (NOTIFY with message/sipfrag);
   * a status ≥ 200 terminates the implicit subscription. Resolves with the
   * NOTIFY's final response.
   */
  notify(status: number, reason = ''): Promise<SipResponse | undefined> {
    if (this.#terminated || this.#dialog.state === 'terminated') return Promise.resolve(undefined);
    const final = status >= 200;
    if (final) {
      this.#terminated = true;
      this.#session._referDone(this);
    }
    const ua = this.#session.ua;
    const req = this.#dialog.createRequest('NOTIFY', {
      headers: [
        ['Event', `refer;id=${this.request.cseq.seq}`],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
    });
    return ua._sendAuthenticated(req, ua._dialogTarget(this.#dialog), undefined, (r) => {
      this.#dialog.localSeq = r.cseq.seq;
    });
  }

  /** @internal */
  _sessionEnded(): void {
    this.#terminated = true;
  }

  #take(): void {
    if (this.#handled) throw new StrowgerError('ERR_INVALID_STATE', 'the REFER was already answered');
    this.#handled = true;
  }
}

function escapeHeaderValue(v: string): string {
  return v.replace(/[^A-Za-z0-9\-_.!~*'()[\]/?:+$]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).toUpperCase();
    return `%${hex.padStart(2, '0')}`;
  });
}
