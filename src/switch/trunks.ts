/**
 * Trunks at run time: the outbound registration of each trunk that asks for one, which
 * source addresses are a trunk's (calls from them are the trunk's, authenticated by
 * address rather than digest), the Request-URI and next hop of calls out, and the channel
 * count against `maxChannels`.
 */
import { lookup } from 'node:dns/promises';
import { parseUri, SipUri } from '../sip/message/index.js';
import {
  defaultPort,
  type Endpoint,
  ipFamily,
  type Target,
  type TransportProtocol,
} from '../sip/transport/index.js';
import type { DigestCredentials, RegistrationClient, RegistrationState, UserAgent } from '../sip/ua/index.js';
import type { SwitchLogger } from './logger.js';
import type { SwitchTrunk } from './settings.js';

/** The state of a trunk's registration, as `Switch` reports it. */
export interface TrunkRegistrationEvent {
  trunk: string;
  state: 'registered' | 'failed' | 'unregistered';
  /** Seconds granted (registered). */
  expires?: number;
  /** Final status of a failed REGISTER (undefined for a timeout). */
  status?: number;
  reason?: string;
}

interface Peer {
  trunk: string;
  addresses: string[];
  /** Only calls from this port (when the trunk's URI names one). */
  port: number | undefined;
  /** Where the trunk's registrar/request URIs (host:port) are sent instead: its proxy. */
  proxy: Target | undefined;
  /** `host:port` of the registrar URI. */
  registrarKey: string;
}

function protocolOf(t: SwitchTrunk): TransportProtocol {
  return t.transport === 'tcp' ? 'TCP' : t.transport === 'tls' ? 'TLS' : 'UDP';
}

function hostPort(uri: string): { host: string; port: number | undefined } {
  const u = parseUri(uri);
  if (!(u instanceof SipUri)) throw new Error(`not a SIP URI: ${uri}`);
  const h = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
  return { host: h, port: u.port };
}

/** The fields whose change restarts a trunk's registration. */
function registrationKey(t: SwitchTrunk): string {
  return JSON.stringify([
    t.enabled,
    t.register,
    t.registrar,
    t.proxy,
    t.transport,
    t.username,
    t.authUsername,
    t.password,
    t.realm,
    t.expires,
  ]);
}

/** Digest credentials a trunk answers challenges with. */
export function trunkCredentials(t: SwitchTrunk): DigestCredentials | undefined {
  const username = t.authUsername ?? t.username;
  if (username === undefined || t.password === undefined) return undefined;
  return { username, password: t.password, ...(t.realm === undefined ? {} : { realm: t.realm }) };
}

export class TrunkManager {
  readonly #ua: UserAgent;
  readonly #log: SwitchLogger;
  readonly #onState: (e: TrunkRegistrationEvent) => void;
  #peers: Peer[] = [];
  readonly #registrations = new Map<string, { key: string; client: RegistrationClient }>();
  readonly #channels = new Map<string, number>();
  #closed = false;

  constructor(options: { ua: UserAgent; log: SwitchLogger; onState: (e: TrunkRegistrationEvent) => void }) {
    this.#ua = options.ua;
    this.#log = options.log;
    this.#onState = options.onState;
  }

  /** Applies a (new) trunk list: source addresses re-resolved, registrations started, stopped or restarted. */
  async apply(trunks: readonly SwitchTrunk[]): Promise<void> {
    const peers: Peer[] = [];
    for (const t of trunks) {
      if (!t.enabled) continue;
      try {
        const reg = hostPort(t.registrar);
        const via = t.proxy === undefined ? reg : hostPort(t.proxy);
        const addresses =
          ipFamily(via.host) !== 0
            ? [via.host]
            : (await lookup(via.host, { all: true }).catch(() => [])).map((a) => a.address);
        const protocol = protocolOf(t);
        const proxyAddress = addresses[0];
        peers.push({
          trunk: t.name,
          addresses,
          port: via.port,
          registrarKey: `${reg.host.toLowerCase()}:${reg.port ?? defaultPort(protocol)}`,
          proxy:
            t.proxy !== undefined && proxyAddress !== undefined
              ? { address: proxyAddress, port: via.port ?? defaultPort(protocol), protocol }
              : undefined,
        });
        if (addresses.length === 0)
          this.#log.warn({ trunk: t.name, host: via.host }, 'trunk host does not resolve');
      } catch (err) {
        this.#log.error({ trunk: t.name, err }, 'trunk URI not usable');
      }
    }
    if (this.#closed) return;
    this.#peers = peers;
    const wanted = new Map(trunks.filter((t) => t.enabled && t.register).map((t) => [t.name, t]));
    for (const [name, r] of [...this.#registrations]) {
      const t = wanted.get(name);
      if (t && registrationKey(t) === r.key) continue;
      this.#registrations.delete(name);
      await r.client.stop().catch(() => undefined);
    }
    for (const [name, t] of wanted) {
      if (this.#registrations.has(name)) continue;
      this.#startRegistration(t);
    }
  }

  #startRegistration(t: SwitchTrunk): void {
    const creds = trunkCredentials(t);
    const { host } = hostPort(t.registrar);
    const user = t.username ?? t.authUsername ?? 'strowger';
    let client: RegistrationClient;
    try {
      client = this.#ua.register({
        aor: `sip:${user}@${host}`,
        registrar: this.#requestUriFor(t.registrar, t),
        expires: t.expires,
        ...(creds ? { credentials: creds } : {}),
      });
    } catch (err) {
      this.#log.error({ trunk: t.name, err }, 'cannot start the trunk registration');
      return;
    }
    client.on('registered', ({ expires }) => this.#onState({ trunk: t.name, state: 'registered', expires }));
    client.on('failed', (f) =>
      this.#onState({
        trunk: t.name,
        state: 'failed',
        ...(f.status === undefined ? {} : { status: f.status }),
        reason: f.reason,
      }),
    );
    client.on('unregistered', ({ reason }) =>
      this.#onState({ trunk: t.name, state: 'unregistered', reason }),
    );
    this.#registrations.set(t.name, { key: registrationKey(t), client });
  }

  /** The registrar URI with the trunk's transport. */
  #requestUriFor(uri: string, t: SwitchTrunk): string {
    const u = parseUri(uri) as SipUri;
    if (t.transport !== 'udp' && !u.params.has('transport')) u.params.set('transport', t.transport);
    return u.toString();
  }

  /** The state of each registering trunk. */
  registrationStates(): Record<string, RegistrationState> {
    const out: Record<string, RegistrationState> = {};
    for (const [name, r] of this.#registrations) out[name] = r.client.state;
    return out;
  }

  /** The trunk a request from `remote` belongs to, if any. */
  match(remote: Endpoint): string | undefined {
    for (const p of this.#peers) {
      if (p.port !== undefined && p.port !== remote.port) continue;
      if (p.addresses.includes(remote.address)) return p.trunk;
    }
    return undefined;
  }

  /** Where a request to `uri` goes when it is a trunk's registrar URI and the trunk has a proxy. */
  proxyFor(uri: SipUri): Target | undefined {
    const key = `${uri.host.toLowerCase()}:${uri.port ?? defaultPort('UDP')}`;
    for (const p of this.#peers) if (p.proxy && p.registrarKey === key) return p.proxy;
    return undefined;
  }

  /** The Request-URI of a call out through `t` to `number`. */
  requestUri(t: SwitchTrunk, number: string): string {
    const u = parseUri(t.registrar) as SipUri;
    const out = new SipUri({ user: number, host: u.host, ...(u.port === undefined ? {} : { port: u.port }) });
    if (t.transport !== 'udp') out.params.set('transport', t.transport);
    return out.toString();
  }

  /** Takes a channel of the trunk; false when `maxChannels` are in use. */
  acquire(t: SwitchTrunk): boolean {
    const n = this.#channels.get(t.name) ?? 0;
    if (t.maxChannels !== undefined && n >= t.maxChannels) return false;
    this.#channels.set(t.name, n + 1);
    return true;
  }

  release(name: string): void {
    const n = (this.#channels.get(name) ?? 0) - 1;
    if (n <= 0) this.#channels.delete(name);
    else this.#channels.set(name, n);
  }

  /** Channels in use per trunk. */
  channels(): Record<string, number> {
    return Object.fromEntries(this.#channels);
  }

  /** Unregisters every trunk. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const regs = [...this.#registrations.values()];
    this.#registrations.clear();
    await Promise.all(regs.map((r) => r.client.stop().catch(() => undefined)));
  }
}
