/**
 * Frames SIP messages out of a byte stream (TCP, TLS, WebSocket-less streams;
 * RFC 3261 §18.3): the header section ends at the first CRLFCRLF and the body
 * is exactly Content-Length octets (0 when absent). Handles several messages
 * in one chunk, a message split over many chunks, and RFC 5626 §3.5.1
 * keep-alives (a CRLFCRLF "ping" between messages, a CRLF "pong").
 *
 * When framing is lost — a malformed or duplicated Content-Length, or a
 * message larger than the limit — `push` throws {@link SipParseError} and the
 * connection must be closed: nothing after that point can be trusted.
 * Each byte is scanned once, whatever the chunk sizes.
 */
import { SipParseError } from '../message/index.js';
import { DEFAULT_LIMITS } from './limits.js';

export interface StreamFramerOptions {
  /** Largest message (headers + body) in bytes; default 65 535. */
  maxMessageSize?: number;
}

export type FramerOutput =
  | { type: 'message'; data: Uint8Array }
  | { type: 'keepalive'; kind: 'ping' | 'pong' };

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class SipStreamFramer {
  readonly #max: number;
  #buf: Buffer = Buffer.allocUnsafe(4096);
  #start = 0;
  #end = 0;
  /** Where the CRLFCRLF search resumes (absolute index into #buf). */
  #scan = 0;
  /** Total length of the message being received, once its headers are complete. */
  #need = -1;

  constructor(options: StreamFramerOptions = {}) {
    this.#max = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
  }

  /** Bytes received but not yet returned as a message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** True when the stream is between messages (nothing partial is buffered). */
  get idle(): boolean {
    return this.#end === this.#start;
  }

  reset(): void {
    this.#start = this.#end = this.#scan = 0;
    this.#need = -1;
  }

  /** Adds received bytes; returns the messages (and keep-alives) completed by them. */
  push(chunk: Uint8Array): FramerOutput[] {
    this.#append(chunk);
    const out: FramerOutput[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (!this.#skipKeepAlives(out)) break;
        const avail = this.#end - this.#start;
        if (avail === 0) break;
        const from = Math.max(this.#start, this.#scan - 3);
        const idx = this.#buf.subarray(0, this.#end).indexOf(CRLFCRLF, from);
        if (idx < 0) {
          this.#scan = this.#end;
          if (avail > this.#max) {
            throw new SipParseError(`header section exceeds ${this.#max} bytes`, {
              status: 513,
              offset: this.#max,
            });
          }
          break;
        }
        const headLen = idx + 4 - this.#start;
        const cl = contentLengthOf(this.#buf, this.#start, idx);
        this.#need = headLen + cl;
        if (this.#need > this.#max) {
          throw new SipParseError(`message of ${this.#need} bytes exceeds ${this.#max}`, {
            status: 513,
            offset: this.#max,
          });
        }
      }
      if (this.#end - this.#start < this.#need) break;
      const data = new Uint8Array(this.#need);
      data.set(this.#buf.subarray(this.#start, this.#start + this.#need));
      out.push({ type: 'message', data });
      this.#start += this.#need;
      this.#scan = this.#start;
      this.#need = -1;
    }
    if (this.#start === this.#end) this.#start = this.#end = this.#scan = 0;
    return out;
  }

  /** Consumes CRLF keep-alives at a message boundary; false when more bytes are needed to decide. */
  #skipKeepAlives(out: FramerOutput[]): boolean {
    const b = this.#buf;
    while (this.#start < this.#end) {
      const c = b[this.#start];
      if (c !== 13 && c !== 10) break;
      const avail = this.#end - this.#start;
      if (c === 13) {
        if (avail < 2) return false; // a lone CR: wait for the next byte (never read past #end)
        if (b[this.#start + 1] === 10) {
          if (avail >= 4 && b[this.#start + 2] === 13 && b[this.#start + 3] === 10) {
            out.push({ type: 'keepalive', kind: 'ping' });
            this.#start += 4;
            continue;
          }
          if (avail === 2 || (avail === 3 && b[this.#start + 2] === 13)) return false; // ping or pong?
          out.push({ type: 'keepalive', kind: 'pong' });
          this.#start += 2;
          continue;
        }
      }
      this.#start += 1; // a stray CR or LF between messages is ignored (RFC 3261 §7.5)
    }
    this.#scan = Math.max(this.#scan, this.#start);
    return true;
  }

  #append(chunk: Uint8Array): void {
    const len = chunk.length;
    if (this.#end + len > this.#buf.length) {
      const live = this.#end - this.#start;
      if (live + len <= this.#buf.length && this.#start > 0) {
        this.#buf.copy(this.#buf, 0, this.#start, this.#end);
      } else {
        let cap = this.#buf.length;
        while (cap < live + len) cap *= 2;
        const next = Buffer.allocUnsafe(cap);
        this.#buf.copy(next, 0, this.#start, this.#end);
        this.#buf = next;
      }
      this.#scan -= this.#start;
      this.#end = live;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += len;
  }
}

/**
 * Reads Content-Length (or its compact form `l`) from the header bytes
 * b[start, end) without parsing the rest. Absent → 0. Malformed or
 * duplicated → framing is lost.
 */
function contentLengthOf(b: Buffer, start: number, end: number): number {
  let value = -1;
  let line = start;
  while (line < end) {
    let eol = b.indexOf(10, line);
    if (eol < 0 || eol > end) eol = end;
    const c = b[line] as number;
    // quick filter: a Content-Length line starts with C/c or L/l
    if (c === 67 || c === 99 || c === 76 || c === 108) {
      let colon = line;
      while (colon < eol && b[colon] !== 58) colon++;
      if (colon < eol) {
        let ne = colon;
        while (ne > line && (b[ne - 1] === 32 || b[ne - 1] === 9)) ne--;
        const name = b.toString('latin1', line, ne).toLowerCase();
        if (name === 'content-length' || name === 'l') {
          if (value >= 0)
            throw new SipParseError('more than one Content-Length', {
              offset: line,
              header: 'Content-Length',
            });
          let i = colon + 1;
          let ve = eol > line && b[eol - 1] === 13 ? eol - 1 : eol;
          while (i < ve && (b[i] === 32 || b[i] === 9)) i++;
          while (ve > i && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
          if (ve === i || ve - i > 10)
            throw new SipParseError('invalid Content-Length', { offset: i, header: 'Content-Length' });
          let v = 0;
          for (let k = i; k < ve; k++) {
            const d = (b[k] as number) - 48;
            if (d < 0 || d > 9)
              throw new SipParseError('invalid Content-Length', { offset: k, header: 'Content-Length' });
            v = v * 10 + d;
          }
          value = v;
        }
      }
    }
    line = eol + 1;
  }
  return Math.max(value, 0);
}
