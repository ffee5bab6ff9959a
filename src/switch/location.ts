/**
 * Where the users' phones are: the UA's Registrar over a MemoryLocationStore, indexed by
 * extension (a phone may register `sip:1001@` any host name of the switch), with the next
 * hop of every registered contact — the address and connection its REGISTER came from,
 * so a phone behind NAT or on a TCP/WebSocket connection is reached the way it reached
 * us. A user's bindings beyond its `maxDevices` are dropped, least recently refreshed
 * first.
 */
import type { Clock, ClockTimer, Random } from '../core/index.js';
import { parseUri, SipUri, type Uri, unescapeUri } from '../sip/message/index.js';
import type { Target, TransportProtocol } from '../sip/transport/index.js';
import {
  type Binding,
  type BindingsChange,
  type DigestAuthenticator,
  MemoryLocationStore,
  Registrar,
} from '../sip/ua/index.js';

export interface LocationOptions {
  clock: Clock;
  random: Random;
  authenticator: DigestAuthenticator;
  registration: { minExpires: number; maxExpires: number; defaultExpires: number };
  /** The user's device limit, or undefined when the extension is unknown or disabled. */
  maxDevices(extension: string): number | undefined;
  /** Lapsed bindings are purged this often (default 60 s). */
  expireIntervalMs?: number;
  /** Something changed (after the index was updated). */
  onChange?(extension: string, change: BindingsChange): void;
}

const PROTOCOLS = new Set(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

/** The extension an AOR (`sip:1001@host`) belongs to. */
function extensionOf(aor: string): string | undefined {
  try {
    const u = parseUri(aor);
    return u instanceof SipUri && u.user !== undefined ? unescapeUri(u.user) : undefined;
  } catch {
    return undefined;
  }
}

/** The canonical text of a contact URI (what `uri.toString()` gives for the Request-URI we build from it). */
function contactKey(uri: string): string | undefined {
  try {
    return parseUri(uri).toString();
  } catch {
    return undefined;
  }
}

export class Location {
  readonly registrar: Registrar;
  readonly store: MemoryLocationStore;
  readonly #options: LocationOptions;
  /** extension → AOR keys it has registered under. */
  readonly #aors = new Map<string, Set<string>>();
  /** contact URI → how to reach it. */
  readonly #targets = new Map<string, Target>();
  readonly #timer: ClockTimer;
  #closed = false;

  constructor(options: LocationOptions) {
    this.#options = options;
    this.store = new MemoryLocationStore({ clock: options.clock });
    this.registrar = new Registrar({
      store: this.store,
      clock: options.clock,
      random: options.random,
      authenticator: options.authenticator,
      minExpires: options.registration.minExpires,
      maxExpires: options.registration.maxExpires,
      defaultExpires: options.registration.defaultExpires,
      // the per-user limit (maxDevices) is applied after each change
      maxBindingsPerAor: 100,
    });
    this.registrar.on('changed', (c) => {
      void this.#onChanged(c);
    });
    this.registrar.on('expired', (bindings) => {
      for (const b of bindings) this.#forget(b);
    });
    this.#timer = options.clock.setInterval(() => {
      this.expire().catch(() => undefined);
    }, options.expireIntervalMs ?? 60_000);
  }

  async #onChanged(change: BindingsChange): Promise<void> {
    const ext = extensionOf(change.aor);
    for (const b of change.removed) this.#forget(b);
    for (const b of [...change.added, ...change.refreshed]) this.#remember(b);
    if (ext === undefined) return;
    let set = this.#aors.get(ext);
    if (!set) {
      set = new Set();
      this.#aors.set(ext, set);
    }
    set.add(change.aor);
    const max = this.#options.maxDevices(ext);
    if (max !== undefined) await this.#trim(ext, max);
    this.#options.onChange?.(ext, change);
  }

  #remember(b: Binding): void {
    const key = contactKey(b.uri);
    if (key === undefined) return;
    const s = b.source;
    if (s && PROTOCOLS.has(s.transport.toUpperCase())) {
      this.#targets.set(key, {
        address: s.address,
        port: s.port,
        protocol: s.transport.toUpperCase() as TransportProtocol,
        ...(s.connectionId === undefined ? {} : { connectionId: s.connectionId }),
      });
    }
  }

  #forget(b: Binding): void {
    const key = contactKey(b.uri);
    if (key !== undefined) this.#targets.delete(key);
  }

  /** Keeps the `max` most recently refreshed bindings of an extension. */
  async #trim(extension: string, max: number): Promise<void> {
    const all: Binding[] = [];
    for (const aor of this.#aors.get(extension) ?? []) all.push(...(await this.store.get(aor)));
    if (all.length <= max) return;
    all.sort((a, b) => b.updatedAt - a.updatedAt);
    const drop = all.slice(max);
    const byAor = new Map<string, string[]>();
    for (const b of drop) {
      byAor.set(b.aor, [...(byAor.get(b.aor) ?? []), b.key]);
      this.#forget(b);
    }
    for (const [aor, keys] of byAor) await this.store.update(aor, { remove: keys });
  }

  /** The live contacts of an extension, most recently refreshed first. */
  async contacts(extension: string): Promise<Binding[]> {
    const set = this.#aors.get(extension);
    if (!set) return [];
    const out: Binding[] = [];
    for (const aor of [...set]) {
      const bindings = await this.store.get(aor);
      if (bindings.length === 0) set.delete(aor);
      out.push(...bindings);
    }
    if (set.size === 0) this.#aors.delete(extension);
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** How to reach a registered contact URI (its REGISTER's source), when it is one. */
  target(uri: Uri): Target | undefined {
    return this.#targets.get(uri.toString());
  }

  /** Drops every binding of an extension (the user was removed or disabled). */
  async removeUser(extension: string): Promise<void> {
    for (const aor of this.#aors.get(extension) ?? []) {
      for (const b of await this.store.get(aor)) this.#forget(b);
      await this.store.removeAll(aor);
    }
    this.#aors.delete(extension);
  }

  /** Extensions with at least one live binding. */
  async registeredExtensions(): Promise<string[]> {
    const out: string[] = [];
    for (const ext of [...this.#aors.keys()]) if ((await this.contacts(ext)).length > 0) out.push(ext);
    return out.sort();
  }

  /** Purges lapsed bindings (also done on a timer). */
  async expire(): Promise<void> {
    if (this.#closed) return;
    await this.registrar.expire();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.cancel();
    this.#targets.clear();
    this.#aors.clear();
  }
}
