/**
 * A request handed to the application (MESSAGE, OPTIONS, out-of-dialog REFER
 * and NOTIFY, unknown methods with a `request` listener): read it, answer it
 * once with {@link IncomingRequest.respond}.
 */
import { StrowgerError } from '../../core/index.js';
import type { HeaderInput, SipRequest } from '../message/index.js';
import type { ServerInviteTransaction, ServerNonInviteTransaction } from '../transaction/index.js';
import type { Endpoint } from '../transport/index.js';
import type { UserAgent } from './user-agent.js';

export interface RequestResponseOptions {
  reason?: string;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  body?: string | Uint8Array;
  contentType?: string;
}

export class IncomingRequest {
  readonly request: SipRequest;
  readonly transaction: ServerInviteTransaction | ServerNonInviteTransaction;
  /** The authenticated user, when the UA's authenticator checked this request. */
  readonly user: string | undefined;
  readonly #ua: UserAgent;

  /** @internal */
  constructor(ua: UserAgent, tx: ServerInviteTransaction | ServerNonInviteTransaction, user?: string) {
    this.#ua = ua;
    this.transaction = tx;
    this.request = tx.request;
    this.user = user;
  }

  get method(): string {
    return this.request.method;
  }

  get remote(): Endpoint {
    return this.transaction.inbound.remote;
  }

  /** The body as text. */
  get body(): string {
    return this.request.bodyText;
  }

  get contentType(): string | undefined {
    return this.request.contentType?.essence;
  }

  /** True once a final response was sent. */
  get responded(): boolean {
    return this.transaction.finalStatus !== undefined || this.transaction.terminated;
  }

  /**
   * True when the transaction layer stopped waiting for the answer (64·T1 for
   * a non-INVITE request, `inviteServerTimeout` for an INVITE): a later
   * {@link respond} is ignored.
   */
  get expired(): boolean {
    return this.transaction.expired;
  }

  /**
   * Sends a response (a Server header is added). After the request
   * {@link expired} the call is ignored (the transaction layer reports it as
   * `lateResponse`). @throws ERR_INVALID_STATE after the final response.
   */
  respond(status: number, options: RequestResponseOptions = {}): void {
    if (this.transaction.expired) {
      this.transaction.respond(status);
      return;
    }
    if (this.responded) throw new StrowgerError('ERR_INVALID_STATE', 'the request was already answered');
    this.transaction.respond(status, {
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      headers: [...(options.headers ?? []), ...this.#ua._responseHeaders()],
      ...(options.body === undefined
        ? {}
        : { body: options.body, contentType: options.contentType ?? 'text/plain' }),
    });
  }
}
