/**
 * The location service (RFC 3261 §10.3): bindings from an address-of-record
 * to contact addresses. {@link LocationStore} is the storage contract — plain
 * JSON-friendly records and async methods, so Redis or SQL can implement it —
 * and {@link MemoryLocationStore} the single-process implementation, which
 * expires bindings by comparing times on an injected clock (no timers).
 */
import { type Clock, realClock } from '../../core/index.js';

/** Where a REGISTER came from, kept so a proxy can reach the contact over the same flow (RFC 5626). */
export interface BindingSource {
  /** Via transport token (`UDP`, `TCP`, `TLS`, `WS`, `WSS`). */
  transport: string;
  address: string;
  port: number;
  /** Stream transports: the connection the REGISTER arrived on. */
  connectionId?: string | undefined;
}

/** One contact bound to an address-of-record. Plain data: store it as JSON. */
export interface Binding {
  /** The canonical address-of-record (`sip:alice@example.com`), the index of the location service. */
  readonly aor: string;
  /** Identity of the binding within its AOR (instance + reg-id, instance, or the contact URI). */
  readonly key: string;
  /** The Contact URI exactly as registered (RFC 4475 regescrt: returned unchanged). */
  readonly uri: string;
  /** Contact header parameters other than `expires`, names and values as written. */
  readonly params: ReadonlyArray<readonly [string, string | null]>;
  /** The `q` parameter, 0–1, when given. */
  readonly q: number | undefined;
  /** Wall-clock ms at which the binding lapses. */
  readonly expiresAt: number;
  /** Wall-clock ms of the REGISTER that created or last refreshed it. */
  readonly updatedAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** Path header values of the REGISTER (RFC 3327), top first, as written. */
  readonly path: readonly string[];
  /** `+sip.instance` without its quotes (RFC 5626 §4.1). */
  readonly instanceId: string | undefined;
  /** `reg-id` (RFC 5626 §4.2). */
  readonly regId: number | undefined;
  readonly source: BindingSource | undefined;
  readonly userAgent: string | undefined;
}

/** One atomic change to an AOR's bindings. */
export interface BindingChange {
  /** Bindings to insert or replace (matched by `key`). */
  upsert?: readonly Binding[];
  /** Keys to remove. */
  remove?: readonly string[];
}

/**
 * Storage for bindings. Every method is async; `update` must apply its whole
 * change or none of it (RFC 3261 §10.3 step 7: updates commit together). Times
 * are wall-clock ms; `get` never returns a binding whose `expiresAt` has passed.
 */
export interface LocationStore {
  /** The live bindings of an AOR (any order). */
  get(aor: string): Promise<Binding[]>;
  /** Applies one change to one AOR atomically. */
  update(aor: string, change: BindingChange): Promise<void>;
  /** Removes every binding of an AOR; returns how many there were. */
  removeAll(aor: string): Promise<number>;
  /** Deletes every binding expired by now; returns them (so a caller can report them). */
  expire(): Promise<Binding[]>;
  /** AORs with at least one live binding. */
  aors(): Promise<string[]>;
}

export interface MemoryLocationStoreOptions {
  clock?: Clock;
}

/** In-process bindings keyed by AOR; expiry by the clock's wall time. */
export class MemoryLocationStore implements LocationStore {
  readonly #clock: Clock;
  readonly #byAor = new Map<string, Map<string, Binding>>();

  constructor(options: MemoryLocationStoreOptions = {}) {
    this.#clock = options.clock ?? realClock;
  }

  async get(aor: string): Promise<Binding[]> {
    const m = this.#byAor.get(aor);
    if (m === undefined) return [];
    const now = this.#clock.wallTime();
    const out: Binding[] = [];
    for (const [key, b] of m) {
      if (b.expiresAt > now) out.push(b);
      else m.delete(key);
    }
    if (m.size === 0) this.#byAor.delete(aor);
    return out;
  }

  async update(aor: string, change: BindingChange): Promise<void> {
    let m = this.#byAor.get(aor);
    if (m === undefined) {
      m = new Map();
      this.#byAor.set(aor, m);
    }
    for (const key of change.remove ?? []) m.delete(key);
    for (const b of change.upsert ?? []) m.set(b.key, Object.freeze({ ...b, aor }));
    if (m.size === 0) this.#byAor.delete(aor);
  }

  async removeAll(aor: string): Promise<number> {
    const n = (await this.get(aor)).length;
    this.#byAor.delete(aor);
    return n;
  }

  async expire(): Promise<Binding[]> {
    const now = this.#clock.wallTime();
    const gone: Binding[] = [];
    for (const [aor, m] of this.#byAor) {
      for (const [key, b] of m) {
        if (b.expiresAt <= now) {
          gone.push(b);
          m.delete(key);
        }
      }
      if (m.size === 0) this.#byAor.delete(aor);
    }
    return gone;
  }

  async aors(): Promise<string[]> {
    const out: string[] = [];
    for (const aor of [...this.#byAor.keys()]) if ((await this.get(aor)).length > 0) out.push(aor);
    return out;
  }
}
