import { StrowgerError } from '../core/index.js';

/** The SIP status a UAS answers with when an offer cannot be used (RFC 3261 §21.4.26). */
export const NOT_ACCEPTABLE_HERE = 488;

/**
 * A session description that is not SDP. `line` is 1-based, `text` is the
 * offending line (without its line end) and `offset` is the character offset
 * where that line starts. A SIP UA answers 488 Not Acceptable Here.
 */
export class SdpParseError extends StrowgerError {
  readonly line: number;
  readonly text: string;
  readonly offset: number;
  readonly reason: string;
  readonly status = NOT_ACCEPTABLE_HERE;

  constructor(reason: string, line: number, text: string, offset: number) {
    const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    super('ERR_SDP_PARSE', `SDP line ${line}: ${reason}: ${JSON.stringify(shown)}`);
    this.reason = reason;
    this.line = line;
    this.text = text;
    this.offset = offset;
  }
}

/**
 * An offer and the local capabilities have nothing in common (no stream can
 * be accepted), or an answer does not fit its offer. A SIP UA answers 488.
 */
export class SdpNegotiationError extends StrowgerError {
  readonly status = NOT_ACCEPTABLE_HERE;

  constructor(message: string) {
    super('ERR_SDP_NEGOTIATION', message);
  }
}
