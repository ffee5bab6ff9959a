import { StrowgerError } from '../../core/index.js';
import type { SipResponse } from '../message/index.js';

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

/**
 * A request ended with a non-2xx final response (code `ERR_SIP_RESPONSE`), or
 * was cancelled (code `ERR_ABORTED`, usually with the 487). `status` and
 * `response` say what the far end answered.
 */
export class SipResponseError extends StrowgerError {
  readonly status: number;
  readonly reason: string;
  readonly response: SipResponse | undefined;

  constructor(
    response: SipResponse | undefined,
    options: { code?: 'ERR_SIP_RESPONSE' | 'ERR_ABORTED'; message?: string; cause?: unknown } = {},
  ) {
    const status = response?.status ?? 0;
    const reason = response?.reason ?? '';
    super(
      options.code ?? 'ERR_SIP_RESPONSE',
      options.message ?? (response ? `${response.cseq.method} failed: ${status} ${reason}` : 'aborted'),
      { cause: options.cause },
    );
    this.status = status;
    this.reason = reason;
    this.response = response;
  }
}
