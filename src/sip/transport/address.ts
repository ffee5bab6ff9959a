/**
 * IP address helpers shared by the transports and the transport layer:
 * normalisation (brackets, IPv4-mapped IPv6, case), comparison of IPv6
 * spellings, endpoint keys and the addresses nothing may ever be sent to.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Endpoint } from './types.js';

/** 4 or 6 for an IP literal (brackets allowed), 0 for anything else. */
export function ipFamily(address: string): 0 | 4 | 6 {
  const a = stripBrackets(address);
  return isIP(a) as 0 | 4 | 6;
}

function stripBrackets(a: string): string {
  return a.length > 1 && a.charCodeAt(0) === 91 && a.charCodeAt(a.length - 1) === 93 ? a.slice(1, -1) : a;
}

/**
 * The canonical form of an address as the transports report it: no brackets,
 * an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports for an IPv4 peer) as plain IPv4, IPv6 lower-cased. Host names are
 * returned unchanged (without brackets).
 */
export function normalizeAddress(address: string): string {
  const a = stripBrackets(address);
  if (a.indexOf(':') < 0) return a;
  const lower = a.toLowerCase();
  if (lower.startsWith('::ffff:')) {
    const v4 = lower.slice(7);
    if (isIP(v4) === 4) return v4;
  }
  return lower;
}

/** The eight 16-bit words of an IPv6 address, or undefined when it is not one. */
function ipv6Words(a: string): number[] | undefined {
  if (isIP(a) !== 6) return undefined;
  let s = a.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const p = s
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    tail.push(((p[0] as number) << 8) | (p[1] as number), ((p[2] as number) << 8) | (p[3] as number));
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const gap = s.indexOf('::');
  let words: number[];
  if (gap >= 0) {
    const head = parse(s.slice(0, gap));
    const rest = parse(s.slice(gap + 2));
    const fill = 8 - tail.length - head.length - rest.length;
    words = [...head, ...new Array<number>(Math.max(fill, 0)).fill(0), ...rest, ...tail];
  } else {
    words = [...parse(s), ...tail];
  }
  return words.length === 8 ? words : undefined;
}

/** True when two addresses name the same host: equal strings, or two spellings of one IPv6 address. */
export function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const x = normalizeAddress(a);
  const y = normalizeAddress(b);
  if (x === y) return true;
  const x6 = x.indexOf(':') >= 0;
  const y6 = y.indexOf(':') >= 0;
  if (!x6 && !y6) return false;
  // an IPv4 address equals its IPv4-mapped IPv6 spelling in any form
  const wx = ipv6Words(x6 ? x : `::ffff:${x}`);
  const wy = ipv6Words(y6 ? y : `::ffff:${y}`);
  if (!wx || !wy) return false;
  for (let i = 0; i < 8; i++) if (wx[i] !== wy[i]) return false;
  return true;
}

/** A map key for an endpoint (`address|port`, address normalised). */
export function endpointKey(e: Endpoint): string {
  return `${normalizeAddress(e.address)}|${e.port}`;
}

/** `host:port` with IPv6 brackets, for messages and URLs. */
export function formatEndpoint(e: Endpoint): string {
  const a = normalizeAddress(e.address);
  return a.indexOf(':') >= 0 ? `[${a}]:${e.port}` : `${a}:${e.port}`;
}

/** True for the unspecified addresses `0.0.0.0` and `::`. */
export function isUnspecifiedAddress(address: string): boolean {
  const a = normalizeAddress(address);
  if (a === '0.0.0.0') return true;
  const w = a.indexOf(':') >= 0 ? ipv6Words(a) : undefined;
  return w?.every((x) => x === 0) ?? false;
}

/**
 * Addresses no SIP message may be sent to (RFC 4475 §3.3.14 bcast): the
 * limited broadcast address, the unspecified addresses, and the directed
 * broadcast address of every local IPv4 interface.
 */
export function isBroadcastAddress(address: string): boolean {
  const a = normalizeAddress(address);
  if (a === '255.255.255.255' || isUnspecifiedAddress(a)) return true;
  if (isIP(a) !== 4) return false;
  return directedBroadcasts().has(a);
}

let broadcastCache: Set<string> | undefined;

/** Directed broadcast addresses of the local interfaces (read once per process). */
function directedBroadcasts(): Set<string> {
  if (broadcastCache) return broadcastCache;
  const set = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || i.internal) continue;
      const addr = ipv4ToInt(i.address);
      const mask = ipv4ToInt(i.netmask);
      if (addr === undefined || mask === undefined || mask === 0xffffffff || mask === 0xfffffffe) continue;
      set.add(intToIpv4((addr | ~mask) >>> 0));
    }
  }
  broadcastCache = set;
  return set;
}

function ipv4ToInt(a: string): number | undefined {
  const p = a.split('.');
  if (p.length !== 4) return undefined;
  let v = 0;
  for (const x of p) v = v * 256 + Number(x);
  return v;
}

function intToIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * The address to advertise for a socket bound to `address`: the address
 * itself, or for an unspecified bind the first non-internal interface address
 * of that family (the loopback address when there is none).
 */
export function defaultAdvertisedHost(address: string): string {
  const a = normalizeAddress(address);
  if (!isUnspecifiedAddress(a)) return a;
  const want = a === '0.0.0.0' ? 'IPv4' : 'IPv6';
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.family === want && !i.internal && !(want === 'IPv6' && i.address.startsWith('fe80')))
        return i.address;
    }
  }
  return want === 'IPv4' ? '127.0.0.1' : '::1';
}

/** True when a socket bound to `local` can send to `remote` (same family, or a dual-stack `::` bind). */
export function canReach(local: string, remote: string): boolean {
  const lf = ipFamily(local);
  const rf = ipFamily(remote);
  if (lf === 0 || rf === 0) return true;
  if (lf === rf) return true;
  return lf === 6 && rf === 4 && isUnspecifiedAddress(local);
}
