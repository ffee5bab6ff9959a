/**
 * A zero-copy, allocation-free reader over one RTP packet (RFC 3550 §5.1).
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-5.1
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   header extension (X=1, RFC 3550 §5.3.1 / RFC 8285) ....     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   payload ....                | padding (P=1) ... | pad count |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * `wrap()` checks the whole structure once (version, CSRC list, extension
 * block and its RFC 8285 elements, padding count); after it returns, every
 * accessor reads in bounds. One reader is meant to be reused for every packet
 * of a worker's receive loop: `wrap()` stores offsets, it does not copy.
 */
import { StrowgerError } from '../core/index.js';
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { RtpParseError } from './errors.js';
import {
  extensionForm,
  findExtensionElement,
  parseHeaderExtension,
  type RtpHeaderExtension,
  validateExtensionElements,
} from './header-extension.js';

/** Size of the fixed RTP header. */
export const RTP_HEADER_SIZE = 12;

const EMPTY = new Uint8Array(0);

export class RtpReader {
  #b: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #payloadStart = 0;
  #payloadEnd = 0;
  /** Offset of the extension block's 4-byte header, or -1. */
  #ext = -1;
  #extEnd = 0;
  #extForm: 0 | 1 | 2 = 0;

  /** Wraps a new reader around `bytes` (convenience for `new RtpReader().wrap(bytes)`). */
  static parse(bytes: Uint8Array, offset = 0, length = bytes.length - offset): RtpReader {
    return new RtpReader().wrap(bytes, offset, length);
  }

  /**
   * Points the reader at the packet `bytes[offset, offset + length)` after
   * checking its structure. Throws {@link RtpParseError} (offsets relative to
   * `offset`) on truncated or inconsistent input; the reader is then left
   * pointing at nothing.
   */
  wrap(bytes: Uint8Array, offset = 0, length = bytes.length - offset): this {
    if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `RtpReader.wrap: [${offset}, +${length}) is outside the bytes`,
      );
    }
    this.#b = EMPTY;
    this.#start = this.#end = this.#payloadStart = this.#payloadEnd = 0;
    this.#ext = -1;
    const end = offset + length;
    if (length < RTP_HEADER_SIZE)
      throw new RtpParseError(`RTP packet shorter than ${RTP_HEADER_SIZE} bytes`, 0);
    const b0 = bytes[offset] as number;
    if (b0 >> 6 !== 2) throw new RtpParseError(`RTP version ${b0 >> 6}, expected 2`, 0);
    let o = offset + RTP_HEADER_SIZE + (b0 & 0x0f) * 4;
    if (o > end) throw new RtpParseError('CSRC list runs past the packet', RTP_HEADER_SIZE);
    let ext = -1;
    let extEnd = 0;
    let form: 0 | 1 | 2 = 0;
    if (b0 & 0x10) {
      if (o + 4 > end) throw new RtpParseError('header extension header truncated', o - offset);
      ext = o;
      extEnd = o + 4 + readU16(bytes, o + 2) * 4;
      if (extEnd > end) throw new RtpParseError('header extension runs past the packet', o + 2 - offset);
      form = extensionForm(readU16(bytes, o));
      if (form !== 0) {
        validateExtensionElements(bytes, o + 4, extEnd, form, offset);
      }
      o = extEnd;
    }
    let payloadEnd = end;
    if (b0 & 0x20) {
      const pad = bytes[end - 1] as number;
      if (pad === 0) throw new RtpParseError('padding count is 0', length - 1);
      if (pad > end - o)
        throw new RtpParseError(`padding count ${pad} exceeds the bytes after the header`, length - 1);
      payloadEnd = end - pad;
    }
    this.#b = bytes;
    this.#start = offset;
    this.#end = end;
    this.#payloadStart = o;
    this.#payloadEnd = payloadEnd;
    this.#ext = ext;
    this.#extEnd = extEnd;
    this.#extForm = form;
    return this;
  }

  /** The underlying bytes (the whole array passed to `wrap`). */
  get bytes(): Uint8Array {
    return this.#b;
  }
  /** Offset of the packet in {@link bytes}. */
  get byteOffset(): number {
    return this.#start;
  }
  /** Length of the whole packet. */
  get byteLength(): number {
    return this.#end - this.#start;
  }
  get version(): number {
    return (this.#b[this.#start] as number) >> 6;
  }
  get padding(): boolean {
    return ((this.#b[this.#start] as number) & 0x20) !== 0;
  }
  get hasExtension(): boolean {
    return ((this.#b[this.#start] as number) & 0x10) !== 0;
  }
  get csrcCount(): number {
    return (this.#b[this.#start] as number) & 0x0f;
  }
  get marker(): boolean {
    return ((this.#b[this.#start + 1] as number) & 0x80) !== 0;
  }
  get payloadType(): number {
    return (this.#b[this.#start + 1] as number) & 0x7f;
  }
  get sequenceNumber(): number {
    return readU16(this.#b, this.#start + 2);
  }
  get timestamp(): number {
    return readU32(this.#b, this.#start + 4);
  }
  get ssrc(): number {
    return readU32(this.#b, this.#start + 8);
  }
  /** The `i`-th CSRC (0-based). */
  csrc(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.csrcCount)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `csrc index ${i} out of 0..${this.csrcCount - 1}`);
    }
    return readU32(this.#b, this.#start + RTP_HEADER_SIZE + i * 4);
  }
  /** Header bytes (fixed header + CSRCs + extension block). */
  get headerLength(): number {
    return this.#payloadStart - this.#start;
  }
  /** Absolute offset of the payload in {@link bytes}. */
  get payloadOffset(): number {
    return this.#payloadStart;
  }
  get payloadLength(): number {
    return this.#payloadEnd - this.#payloadStart;
  }
  /** The payload as a view into the packet (no copy). */
  get payload(): Uint8Array {
    return this.#b.subarray(this.#payloadStart, this.#payloadEnd);
  }
  /** Padding bytes at the end (the count octet included); 0 when P is clear. */
  get paddingLength(): number {
    return this.#end - this.#payloadEnd;
  }
  /** The extension block's "defined by profile" value, or -1 without an extension. */
  get extensionProfile(): number {
    return this.#ext < 0 ? -1 : readU16(this.#b, this.#ext);
  }
  /** Bytes of extension data after the 4-byte block header (0 without an extension). */
  get extensionLength(): number {
    return this.#ext < 0 ? 0 : this.#extEnd - this.#ext - 4;
  }
  /**
   * Absolute offset of RFC 8285 element `id`'s data, or -1 when absent (or the
   * block is not RFC 8285). Allocation-free; pair with {@link extensionElementLength}.
   */
  extensionElementOffset(id: number): number {
    if (this.#extForm === 0) return -1;
    const r = findExtensionElement(this.#b, this.#ext + 4, this.#extEnd, this.#extForm, id);
    return r < 0 ? -1 : Math.floor(r / 256);
  }
  /** Data length of RFC 8285 element `id`, or -1 when absent. */
  extensionElementLength(id: number): number {
    if (this.#extForm === 0) return -1;
    const r = findExtensionElement(this.#b, this.#ext + 4, this.#extEnd, this.#extForm, id);
    return r < 0 ? -1 : r % 256;
  }
  /** Data of RFC 8285 element `id` as a view, or undefined. */
  getExtension(id: number): Uint8Array | undefined {
    if (this.#extForm === 0) return undefined;
    const r = findExtensionElement(this.#b, this.#ext + 4, this.#extEnd, this.#extForm, id);
    if (r < 0) return undefined;
    const at = Math.floor(r / 256);
    return this.#b.subarray(at, at + (r % 256));
  }
  /** The whole extension block, decoded (allocates; element data are views). */
  extension(): RtpHeaderExtension | undefined {
    return this.#ext < 0 ? undefined : parseHeaderExtension(this.#b, this.#ext, this.#extEnd);
  }

  // In-place rewriting for the relay path: the packet bytes change, nothing is re-serialized.

  setSsrc(ssrc: number): this {
    writeU32(this.#b, this.#start + 8, ssrc);
    return this;
  }
  setSequenceNumber(seq: number): this {
    writeU16(this.#b, this.#start + 2, seq);
    return this;
  }
  setTimestamp(ts: number): this {
    writeU32(this.#b, this.#start + 4, ts);
    return this;
  }
  setPayloadType(pt: number): this {
    const i = this.#start + 1;
    this.#b[i] = ((this.#b[i] as number) & 0x80) | (pt & 0x7f);
    return this;
  }
  setMarker(marker: boolean): this {
    const i = this.#start + 1;
    this.#b[i] = marker ? (this.#b[i] as number) | 0x80 : (this.#b[i] as number) & 0x7f;
    return this;
  }
}
