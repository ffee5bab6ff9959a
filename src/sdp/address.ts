/**
 * Connection addresses in SDP: IPv4 literals, IPv6 literals without brackets
 * (RFC 5118 §4.6, RFC 8866 §5.7) and fully qualified domain names.
 */

export type AddressFamily = 'ipv4' | 'ipv6' | 'fqdn';

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return false;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return false;
      n = n * 10 + d;
    }
    if (n > 255) return false;
  }
  return true;
}

function isHex16(p: string): boolean {
  if (p.length === 0 || p.length > 4) return false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!hex) return false;
  }
  return true;
}

/** An RFC 4291 §2.2 text address (`::`, `2001:db8::1`, `::ffff:192.0.2.1`), no brackets, no zone. */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return false;
  let groups = 0;
  const count = (part: string, last: boolean): boolean => {
    if (part.length === 0) return true;
    const ps = part.split(':');
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i] as string;
      if (last && i === ps.length - 1 && p.includes('.')) {
        if (!isIPv4(p)) return false;
        groups += 2;
      } else {
        if (!isHex16(p)) return false;
        groups += 1;
      }
    }
    return true;
  };
  if (dbl === -1) return count(s, true) && groups === 8;
  return count(s.slice(0, dbl), false) && count(s.slice(dbl + 2), true) && groups <= 7;
}

/** A host name: dot-separated labels of letters, digits, `_` and inner hyphens, optionally ending in a dot. */
export function isFqdn(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  const labels = (s.endsWith('.') ? s.slice(0, -1) : s).split('.');
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) return false;
    for (let i = 0; i < l.length; i++) {
      const c = l.charCodeAt(i);
      const ok =
        (c >= 48 && c <= 57) ||
        (c >= 65 && c <= 90) ||
        (c >= 97 && c <= 122) ||
        c === 95 ||
        (c === 45 && i > 0 && i < l.length - 1);
      if (!ok) return false;
    }
  }
  // a top-level label is never all digits, so a bad dotted quad is not a host name
  return !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

/** What kind of address `s` is, or undefined when it is none of them. */
export function addressFamily(s: string): AddressFamily | undefined {
  if (isIPv4(s)) return 'ipv4';
  if (isIPv6(s)) return 'ipv6';
  if (isFqdn(s)) return 'fqdn';
  return undefined;
}

/** The SDP `addrtype` for an address: `IP6` for an IPv6 literal, `IP4` otherwise. */
export function addrTypeOf(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** True for the RFC 2543 hold address `0.0.0.0`. */
export function isUnspecifiedIPv4(address: string): boolean {
  return address === '0.0.0.0';
}
