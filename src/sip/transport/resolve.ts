/**
 * Locating a SIP server (a simplified RFC 3263 §4): which transport, address
 * and port to send a request for a URI to. NAPTR is skipped; the transport
 * comes from the URI's `transport` parameter, the scheme (sips → TLS), or
 * SRV records (`_sip._udp`, `_sip._tcp`, `_sips._tcp`) when the host is a
 * name without a port; then A/AAAA. `maddr` replaces the host. The DNS is
 * behind {@link SipResolver}, so tests need none.
 */
import { lookup as dnsLookup, resolveSrv as dnsResolveSrv } from 'node:dns/promises';
import { cryptoRandom, type Random, StrowgerError } from '../../core/index.js';
import { isSipUri, parseUri, type SipUri, type Uri } from '../message/index.js';
import { ipFamily, normalizeAddress } from './address.js';
import { defaultPort, type Target, type TransportProtocol } from './types.js';

/** One SRV record (RFC 2782). */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** The DNS as target resolution needs it. Both methods resolve to an empty list when there is no record. */
export interface SipResolver {
  resolveSrv(name: string): Promise<readonly SrvRecord[]>;
  /** IPv4 and IPv6 addresses of a host name. */
  lookup(host: string): Promise<readonly string[]>;
}

/** The system's resolver (node:dns): SRV from the DNS, addresses through getaddrinfo (so /etc/hosts counts). */
export const systemResolver: SipResolver = Object.freeze({
  async resolveSrv(name: string): Promise<readonly SrvRecord[]> {
    try {
      return await dnsResolveSrv(name);
    } catch {
      return [];
    }
  },
  async lookup(host: string): Promise<readonly string[]> {
    try {
      const all = await dnsLookup(host, { all: true, verbatim: true });
      return all.map((a) => a.address);
    } catch {
      return [];
    }
  },
});

export interface StaticResolverRecords {
  /** SRV records by owner name (`_sip._udp.example.com`). */
  srv?: Record<string, readonly SrvRecord[]>;
  /** Addresses by host name. */
  hosts?: Record<string, readonly string[]>;
}

/** A resolver answering from fixed records (tests, static configuration); names are case-insensitive. */
export function createStaticResolver(records: StaticResolverRecords): SipResolver {
  const srv = new Map(Object.entries(records.srv ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const hosts = new Map(Object.entries(records.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    resolveSrv: async (name) => srv.get(name.toLowerCase()) ?? [],
    lookup: async (host) => hosts.get(host.toLowerCase()) ?? [],
  };
}

export interface ResolveTargetOptions {
  /** Default: {@link systemResolver}. */
  resolver?: SipResolver;
  /**
   * The transports this side can use, in order of preference for SRV
   * (default UDP, TCP, TLS). A URI that names another transport fails.
   */
  transports?: readonly TransportProtocol[];
  /** Only addresses of this IP family (default 0: both, in the resolver's order). */
  family?: 0 | 4 | 6;
  /** Picks among SRV records of equal priority by weight (RFC 2782); default crypto random. */
  random?: Random;
}

export const RESOLVE_TARGET_DEFAULTS = Object.freeze({
  transports: Object.freeze(['UDP', 'TCP', 'TLS'] as TransportProtocol[]),
});

const TRANSPORT_PARAM: Record<string, TransportProtocol> = {
  udp: 'UDP',
  tcp: 'TCP',
  tls: 'TLS',
  sctp: 'SCTP',
  ws: 'WS',
  wss: 'WSS',
};

const SRV_PREFIX: Partial<Record<TransportProtocol, string>> = {
  UDP: '_sip._udp.',
  TCP: '_sip._tcp.',
  TLS: '_sips._tcp.',
  SCTP: '_sip._sctp.',
};

/**
 * The targets to try for `uri`, in order (RFC 3263 §4). Each carries the
 * URI's host name as `hostname` when it is a name (the domain a TLS peer's
 * certificate must match, RFC 5922). Rejects with ERR_TRANSPORT when nothing
 * resolves, ERR_INVALID_ARGUMENT for a URI that is not sip/sips or an
 * impossible combination (sips over UDP).
 */
export async function resolveTarget(
  uri: Uri | string,
  options: ResolveTargetOptions = {},
): Promise<Target[]> {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  if (!isSipUri(u))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot route to a non-SIP URI ${u.toString()}`);
  const resolver = options.resolver ?? systemResolver;
  const supported = options.transports ?? RESOLVE_TARGET_DEFAULTS.transports;
  const family = options.family ?? 0;
  const sips = u.isSecure;
  const maddr = u.params.get('maddr');
  const host = normalizeAddress(maddr ?? u.host);
  const numeric = ipFamily(host) !== 0;
  const hostname = numeric ? undefined : host.toLowerCase();

  let protocol = explicitTransport(u, sips);
  if (protocol !== undefined && options.transports !== undefined && !supported.includes(protocol))
    throw new StrowgerError('ERR_TRANSPORT', `${u.toString()} needs ${protocol}, which is not available`);
  // RFC 3263 §4.1: numeric host or explicit port → UDP for sip, TLS (over TCP) for sips
  if (protocol === undefined && (numeric || u.port !== undefined)) protocol = sips ? 'TLS' : 'UDP';

  if (numeric) {
    if (family !== 0 && ipFamily(host) !== family) return fail(u);
    const p = protocol as TransportProtocol;
    return [{ address: host, port: u.port ?? defaultPort(p), protocol: p }];
  }

  const targets: Target[] = [];
  const seen = new Set<string>();
  const add = (address: string, port: number, p: TransportProtocol) => {
    const a = normalizeAddress(address);
    if (family !== 0 && ipFamily(a) !== family) return;
    if (ipFamily(a) === 0) return;
    const k = `${p}|${a}|${port}`;
    if (seen.has(k)) return;
    seen.add(k);
    targets.push(
      hostname === undefined
        ? { address: a, port, protocol: p }
        : { address: a, port, protocol: p, hostname },
    );
  };

  // RFC 3263 §4.2: SRV only when there is no port (and never for WS/WSS, which have no SRV names, RFC 7118)
  if (u.port === undefined && protocol !== 'WS' && protocol !== 'WSS') {
    const candidates: TransportProtocol[] =
      protocol !== undefined
        ? [protocol]
        : sips
          ? ['TLS']
          : supported.filter((p) => SRV_PREFIX[p] !== undefined);
    const random = options.random ?? cryptoRandom;
    let any = false;
    for (const p of candidates) {
      const prefix = SRV_PREFIX[p];
      if (prefix === undefined) continue;
      const records = await resolver.resolveSrv(`${prefix}${host}`);
      // a lone "." target means the service is decidedly not available (RFC 2782)
      const usable = records.filter((r) => r.name !== '' && r.name !== '.');
      if (records.length > 0) any = true;
      for (const r of orderSrv(usable, random)) {
        const name = normalizeAddress(r.name.replace(/\.$/, ''));
        const addresses = ipFamily(name) !== 0 ? [name] : await resolver.lookup(name);
        for (const a of addresses) add(a, r.port, p);
      }
    }
    if (any) return targets.length > 0 ? targets : fail(u);
  }

  // RFC 3263 §4.2: no SRV → A/AAAA at the default port of the transport
  const p = protocol ?? (sips ? 'TLS' : 'UDP');
  for (const a of await resolver.lookup(host)) add(a, u.port ?? defaultPort(p), p);
  return targets.length > 0 ? targets : fail(u);
}

function fail(u: SipUri): never {
  throw new StrowgerError('ERR_TRANSPORT', `cannot resolve ${u.toString()} to an address`);
}

function explicitTransport(u: SipUri, sips: boolean): TransportProtocol | undefined {
  const t = u.transport;
  if (t === undefined) return undefined;
  const p = TRANSPORT_PARAM[t];
  if (p === undefined)
    throw new StrowgerError('ERR_TRANSPORT', `unknown transport "${t}" in ${u.toString()}`);
  if (!sips) return p;
  // sips: the hop must be secure (RFC 3261 §26.2.2): TCP means TLS, WS means WSS
  if (p === 'TCP' || p === 'TLS') return 'TLS';
  if (p === 'WS' || p === 'WSS') return 'WSS';
  throw new StrowgerError('ERR_INVALID_ARGUMENT', `${u.toString()}: a sips URI cannot use ${p}`);
}

/** RFC 2782 order: by priority, and within a priority a weighted random permutation. */
export function orderSrv(records: readonly SrvRecord[], random: Random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority);
    if (list) list.push(r);
    else byPriority.set(r.priority, [r]);
  }
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // zero-weight records first, so that they get a small chance (RFC 2782)
    const pool = (byPriority.get(priority) as SrvRecord[])
      .slice()
      .sort((a, b) => (a.weight === 0 ? -1 : 0) - (b.weight === 0 ? -1 : 0));
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        const x = random.next() * total;
        let run = 0;
        pick = pool.length - 1;
        for (let i = 0; i < pool.length; i++) {
          run += (pool[i] as SrvRecord).weight;
          if (run > x) {
            pick = i;
            break;
          }
        }
      }
      out.push(pool.splice(pick, 1)[0] as SrvRecord);
    }
  }
  return out;
}
