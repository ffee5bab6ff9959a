import { StrowgerError } from '../../core/index.js';

export interface SipParseErrorOptions {
  /** Byte offset in the message (or character offset in the header value when `header` is set). */
  offset?: number;
  /** The status a server should answer with: 400, 505, 416, 513 … */
  status?: number;
  /** The header whose value was malformed, when the error came from a typed header accessor. */
  header?: string;
  cause?: unknown;
}

/**
 * Thrown for a message (or a part of one) that does not follow the RFC 3261
 * §25 grammar. `status` is what a UAS should answer a request with; a
 * response that fails to parse is dropped.
 */
export class SipParseError extends StrowgerError {
  readonly offset: number;
  readonly status: number;
  readonly header: string | undefined;

  constructor(message: string, options: SipParseErrorOptions = {}) {
    super('ERR_SIP_PARSE', message, { cause: options.cause });
    this.offset = options.offset ?? -1;
    this.status = options.status ?? 400;
    this.header = options.header;
  }
}
