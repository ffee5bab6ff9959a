/**
 * SDP serializer: writes the lines in the order of RFC 8866 §5 with CRLF line
 * ends. Attributes keep their order; lines of unknown type follow the
 * attributes of their level. Refuses (ERR_INVALID_ARGUMENT) any text field
 * that holds CR, LF or NUL, so a description can never smuggle in lines.
 */
import { StrowgerError } from '../core/index.js';
import { formatAttribute } from './attributes.js';
import { hasForbiddenChar } from './tokens.js';
import type {
  Attribute,
  Bandwidth,
  Connection,
  MediaDescription,
  SessionDescription,
  UnknownLine,
} from './types.js';

const CRLF = '\r\n';

function line(type: string, value: string): string {
  if (hasForbiddenChar(value)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `SDP ${type}= value must not contain CR, LF or NUL`);
  }
  return `${type}=${value}${CRLF}`;
}

function connection(c: Connection): string {
  let addr = c.address;
  if (c.ttl !== undefined) addr += `/${c.ttl}`;
  if (c.numberOfAddresses !== undefined) addr += `/${c.numberOfAddresses}`;
  return line('c', `${c.netType} ${c.addrType} ${addr}`);
}

function bandwidths(bs: readonly Bandwidth[]): string {
  let s = '';
  for (const b of bs) s += line('b', `${b.type}:${b.bandwidth}`);
  return s;
}

function attributes(as: readonly Attribute[]): string {
  let s = '';
  for (const a of as) s += line('a', formatAttribute(a));
  return s;
}

function unknown(ls: readonly UnknownLine[]): string {
  let s = '';
  for (const l of ls) {
    if (!/^[A-Za-z]$/.test(l.type))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'SDP line type must be one letter');
    s += line(l.type, l.value);
  }
  return s;
}

/** Writes one `m=` section. */
export function serializeMedia(m: MediaDescription): string {
  let head = `${m.type} ${m.port}`;
  if (m.numberOfPorts !== undefined) head += `/${m.numberOfPorts}`;
  head += ` ${m.protocol}`;
  for (const f of m.formats) head += ` ${f}`;
  let s = line('m', head);
  if (m.information !== undefined) s += line('i', m.information);
  for (const c of m.connections) s += connection(c);
  s += bandwidths(m.bandwidths);
  if (m.encryptionKey !== undefined) s += line('k', m.encryptionKey);
  return s + attributes(m.attributes) + unknown(m.unknownLines);
}

/** Writes a session description as SDP text with CRLF line ends. */
export function serializeSdp(d: SessionDescription): string {
  const o = d.origin;
  let s = `v=${d.version}${CRLF}`;
  s += line('o', `${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  s += line('s', d.sessionName);
  if (d.information !== undefined) s += line('i', d.information);
  if (d.uri !== undefined) s += line('u', d.uri);
  for (const e of d.emails) s += line('e', e);
  for (const p of d.phones) s += line('p', p);
  if (d.connection) s += connection(d.connection);
  s += bandwidths(d.bandwidths);
  for (const t of d.timing) {
    s += `t=${t.start} ${t.stop}${CRLF}`;
    for (const r of t.repeats) s += line('r', `${r.interval} ${r.duration} ${r.offsets.join(' ')}`);
  }
  if (d.timeZones.length > 0) {
    let z = '';
    for (const a of d.timeZones) z += z.length === 0 ? `${a.time} ${a.offset}` : ` ${a.time} ${a.offset}`;
    s += line('z', z);
  }
  if (d.encryptionKey !== undefined) s += line('k', d.encryptionKey);
  s += attributes(d.attributes) + unknown(d.unknownLines);
  for (const m of d.media) s += serializeMedia(m);
  return s;
}
