/**
 * RTP header extensions: the RFC 3550 §5.3.1 block and the RFC 8285
 * one-byte and two-byte element forms inside it.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-5.3.1
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |           length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * |                             ....                              |
 *
 * `length` counts 32-bit words after this 4-byte header.
 */

import { readU16, writeU16 } from './bytes.js';
import { checkRoom, checkUint, invalidField, RtpParseError } from './errors.js';

/** "defined by profile" value of the RFC 8285 one-byte form. */
export const ONE_BYTE_EXTENSION_PROFILE = 0xbede;
/** "defined by profile" value of the RFC 8285 two-byte form (low 4 bits are "appbits"). */
export const TWO_BYTE_EXTENSION_PROFILE = 0x1000;

/** One RFC 8285 extension element: a local id and its data (a view, not a copy, when parsed). */
export interface RtpExtensionElement {
  id: number;
  data: Uint8Array;
}

/**
 * The header extension of an RTP packet: RFC 8285 elements in the one-byte or
 * two-byte form, or an opaque RFC 3550 block for any other profile value.
 */
export type RtpHeaderExtension =
  | { kind: 'one-byte'; elements: RtpExtensionElement[] }
  | { kind: 'two-byte'; appBits: number; elements: RtpExtensionElement[] }
  | { kind: 'raw'; profile: number; data: Uint8Array };

/** Which element form a "defined by profile" value selects: 1, 2, or 0 (opaque). */
export function extensionForm(profile: number): 0 | 1 | 2 {
  if (profile === ONE_BYTE_EXTENSION_PROFILE) return 1;
  if ((profile & 0xfff0) === TWO_BYTE_EXTENSION_PROFILE) return 2;
  return 0;
}

/*
 * RFC 8285 §4.2, one-byte form (https://www.rfc-editor.org/rfc/rfc8285#section-4.2):
 *
 *  0
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |  ID   |  len  |   len = data bytes - 1; ID 1..14; ID 0 = a padding byte;
 * +-+-+-+-+-+-+-+-+   ID 15 = stop processing the block here.
 *
 * RFC 8285 §4.3, two-byte form (https://www.rfc-editor.org/rfc/rfc8285#section-4.3):
 *
 *  0                   1
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       ID      |     length    |   length = data bytes (0..255); ID 0 = a padding byte
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/**
 * Walks the elements of an extension block `bytes[start, end)` of the given
 * form, calling nothing and allocating nothing; throws {@link RtpParseError}
 * when an element runs past the block (offsets reported relative to `base`).
 * Returns the number of elements.
 */
export function validateExtensionElements(
  bytes: Uint8Array,
  start: number,
  end: number,
  form: 1 | 2,
  base = 0,
): number {
  let o = start;
  let n = 0;
  while (o < end) {
    const h = bytes[o] as number;
    if (h === 0) {
      o++;
      continue;
    }
    if (form === 1) {
      const id = h >> 4;
      if (id === 0) {
        o++;
        continue;
      }
      if (id === 15) break;
      const len = (h & 0x0f) + 1;
      if (o + 1 + len > end)
        throw new RtpParseError(`one-byte extension element ${id} runs past the block`, o - base);
      o += 1 + len;
    } else {
      if (o + 2 > end) throw new RtpParseError('two-byte extension element header truncated', o - base);
      const len = bytes[o + 1] as number;
      if (o + 2 + len > end)
        throw new RtpParseError(`two-byte extension element ${h} runs past the block`, o - base);
      o += 2 + len;
    }
    n++;
  }
  return n;
}

/**
 * Finds element `id` in an already validated block and returns
 * `dataOffset * 256 + dataLength`, or -1. Allocation-free.
 */
export function findExtensionElement(
  bytes: Uint8Array,
  start: number,
  end: number,
  form: 1 | 2,
  id: number,
): number {
  let o = start;
  while (o < end) {
    const h = bytes[o] as number;
    if (h === 0) {
      o++;
      continue;
    }
    if (form === 1) {
      const eid = h >> 4;
      if (eid === 0) {
        o++;
        continue;
      }
      if (eid === 15) return -1;
      const len = (h & 0x0f) + 1;
      if (eid === id) return (o + 1) * 256 + len;
      o += 1 + len;
    } else {
      const len = bytes[o + 1] as number;
      if (h === id) return (o + 2) * 256 + len;
      o += 2 + len;
    }
  }
  return -1;
}

/**
 * Reads an extension block whose 4-byte header is at `offset` (the bytes after
 * the CSRC list). Element data are views into `bytes`.
 */
export function parseHeaderExtension(
  bytes: Uint8Array,
  offset: number,
  end = bytes.length,
): RtpHeaderExtension {
  if (offset + 4 > end) throw new RtpParseError('header extension header truncated', offset);
  const profile = readU16(bytes, offset);
  const blockEnd = offset + 4 + readU16(bytes, offset + 2) * 4;
  if (blockEnd > end) throw new RtpParseError('header extension runs past the packet', offset + 2);
  const start = offset + 4;
  const form = extensionForm(profile);
  if (form === 0) return { kind: 'raw', profile, data: bytes.subarray(start, blockEnd) };
  validateExtensionElements(bytes, start, blockEnd, form);
  const elements: RtpExtensionElement[] = [];
  let o = start;
  while (o < blockEnd) {
    const h = bytes[o] as number;
    if (h === 0 || (form === 1 && h >> 4 === 0)) {
      o++;
      continue;
    }
    if (form === 1) {
      const id = h >> 4;
      if (id === 15) break;
      const len = (h & 0x0f) + 1;
      elements.push({ id, data: bytes.subarray(o + 1, o + 1 + len) });
      o += 1 + len;
    } else {
      const len = bytes[o + 1] as number;
      elements.push({ id: h, data: bytes.subarray(o + 2, o + 2 + len) });
      o += 2 + len;
    }
  }
  return form === 1
    ? { kind: 'one-byte', elements }
    : { kind: 'two-byte', appBits: profile & 0x0f, elements };
}

/** True when every element fits the one-byte form (ids 1..14, 1..16 data bytes). */
export function fitsOneByteForm(elements: readonly RtpExtensionElement[]): boolean {
  for (const e of elements) {
    if (e.id < 1 || e.id > 14 || e.data.length < 1 || e.data.length > 16) return false;
  }
  return true;
}

/** Picks the one-byte form when the elements fit it, else the two-byte form (RFC 8285 §4.1.1). */
export function makeHeaderExtension(elements: RtpExtensionElement[]): RtpHeaderExtension {
  return fitsOneByteForm(elements)
    ? { kind: 'one-byte', elements }
    : { kind: 'two-byte', appBits: 0, elements };
}

/** Bytes the block takes on the wire, 4-byte header and trailing padding included. */
export function headerExtensionSize(ext: RtpHeaderExtension): number {
  if (ext.kind === 'raw') return 4 + ext.data.length;
  const per = ext.kind === 'one-byte' ? 1 : 2;
  let n = 0;
  for (const e of ext.elements) n += per + e.data.length;
  return 4 + ((n + 3) & ~3);
}

function checkExtension(ext: RtpHeaderExtension): void {
  if (ext.kind === 'raw') {
    checkUint('extension profile', ext.profile, 16);
    if (ext.data.length % 4 !== 0)
      invalidField('raw extension data length', 'a multiple of 4', ext.data.length);
  } else if (ext.kind === 'one-byte') {
    for (const e of ext.elements) {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 14)
        invalidField('one-byte extension id', '1..14', e.id);
      if (e.data.length < 1 || e.data.length > 16) {
        invalidField('one-byte extension data length', '1..16', e.data.length);
      }
    }
  } else {
    checkUint('two-byte extension appBits', ext.appBits, 4);
    for (const e of ext.elements) {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 255)
        invalidField('two-byte extension id', '1..255', e.id);
      if (e.data.length > 255) invalidField('two-byte extension data length', '0..255', e.data.length);
    }
  }
  if (headerExtensionSize(ext) - 4 > 0xffff * 4)
    invalidField('header extension size', 'at most 65535 words', 'more');
}

/** Writes the block at `offset`; returns the bytes written. */
export function writeHeaderExtension(ext: RtpHeaderExtension, buf: Uint8Array, offset: number): number {
  checkExtension(ext);
  const size = headerExtensionSize(ext);
  checkRoom(buf, offset, size);
  const words = (size - 4) / 4;
  if (ext.kind === 'raw') {
    writeU16(buf, offset, ext.profile);
    writeU16(buf, offset + 2, words);
    buf.set(ext.data, offset + 4);
    return size;
  }
  writeU16(
    buf,
    offset,
    ext.kind === 'one-byte' ? ONE_BYTE_EXTENSION_PROFILE : TWO_BYTE_EXTENSION_PROFILE | ext.appBits,
  );
  writeU16(buf, offset + 2, words);
  let o = offset + 4;
  for (const e of ext.elements) {
    if (ext.kind === 'one-byte') {
      buf[o++] = (e.id << 4) | (e.data.length - 1);
    } else {
      buf[o++] = e.id;
      buf[o++] = e.data.length;
    }
    buf.set(e.data, o);
    o += e.data.length;
  }
  buf.fill(0, o, offset + size);
  return size;
}
