/**
 * A registrar (RFC 3261 §10.3) with Path (RFC 3327) and the outbound / GRUU
 * instance identifiers (RFC 5626, RFC 5627) kept in the bindings. It turns one
 * REGISTER into one response and one atomic change of a {@link LocationStore};
 * authentication happens before it (pass the authenticated user in), and an
 * authorizer hook binds that user to the address-of-record.
 *
 * `handle` never throws: malformed input is answered with 400, a store
 * failure with 500.
 */
import {
  type Clock,
  cryptoRandom,
  type Random,
  randomToken,
  realClock,
  TypedEmitter,
} from '../../core/index.js';
import {
  createResponse,
  isSipUri,
  type NameAddr,
  paramValue,
  parseUri,
  type SipRequest,
  type SipResponse,
  type SipUri,
  type Uri,
  unescapeUri,
  uriEquals,
} from '../message/index.js';
import type { DigestAuthenticator } from './digest-authenticator.js';
import type { Binding, BindingSource, LocationStore } from './location-store.js';

export interface RegistrarAuthorizeContext {
  /** The authenticated user (undefined when the request was not authenticated). */
  user: string | undefined;
  /** The address-of-record from To. */
  aor: SipUri;
  /** Its canonical form, the location-service index. */
  aorKey: string;
  request: SipRequest;
}

/** May `user` change the bindings of `aor`? */
export type RegistrarAuthorizer = (ctx: RegistrarAuthorizeContext) => boolean | Promise<boolean>;

export interface RegistrarOptions {
  store: LocationStore;
  clock?: Clock;
  /** For To tags; default crypto randomness. */
  random?: Random;
  /** Expiry when neither the Contact nor the request says; default 3600 s. */
  defaultExpires?: number;
  /** Shorter non-zero intervals get 423 with Min-Expires; default 60 s. */
  minExpires?: number;
  /** Longer intervals are cut to this; default 7200 s. */
  maxExpires?: number;
  /** Bindings per AOR; when a REGISTER would exceed it the least recently refreshed other bindings go. Default 16. */
  maxBindingsPerAor?: number;
  /** Domains this registrar serves (AOR host, case-insensitive); others get 404. Default: any. */
  domains?: readonly string[];
  /**
   * When given, `handle` authenticates a REGISTER itself (unless the context
   * already names a user): it answers the authenticator's challenge or error,
   * and passes the accepted user to `authorize`.
   */
  authenticator?: DigestAuthenticator;
  /**
   * Default: the authenticated user must be the user part of the AOR
   * (unescaped), so an unauthenticated REGISTER is refused with 403.
   */
  authorize?: RegistrarAuthorizer;
}

/** Extra facts about a REGISTER that only the layer that received it knows. */
export interface RegisterContext {
  /** The user the digest authenticator accepted. */
  user?: string | undefined;
  /** Where the request came from (kept in the binding for flow-based routing). */
  source?: BindingSource | undefined;
}

/** A change of an AOR's bindings. */
export interface BindingsChange {
  aor: string;
  added: Binding[];
  refreshed: Binding[];
  removed: Binding[];
}

export interface RegistrarEvents {
  /** A REGISTER changed bindings. */
  changed: [change: BindingsChange];
  /** {@link Registrar.expire} removed lapsed bindings. */
  expired: [bindings: Binding[]];
}

const DEFAULTS = Object.freeze({
  defaultExpires: 3600,
  minExpires: 60,
  maxExpires: 7200,
  maxBindingsPerAor: 16,
});

const MAX_DELTA = 2 ** 32 - 1;
const SUPPORTED = Object.freeze(['path', 'outbound']);

/** The location-service index of a URI: `sip:user@host` with the user unescaped and the host lower-cased (RFC 3261 §10.3 step 5). */
export function aorKey(uri: Uri): string | undefined {
  return isSipUri(uri) ? uri.aor : undefined;
}

const defaultAuthorize: RegistrarAuthorizer = ({ user, aor }) =>
  user !== undefined && aor.user !== undefined && unescapeUri(aor.user) === user;

interface ContactPlan {
  addr: NameAddr;
  uri: string;
  expires: number;
  instanceId: string | undefined;
  regId: number | undefined;
}

class Reject {
  constructor(
    readonly status: number,
    readonly reason?: string,
    readonly headers?: Array<[string, string]>,
  ) {}
}

export class Registrar extends TypedEmitter<RegistrarEvents> {
  readonly #store: LocationStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #defaultExpires: number;
  readonly #minExpires: number;
  readonly #maxExpires: number;
  readonly #maxBindings: number;
  readonly #domains: Set<string> | undefined;
  readonly #authorize: RegistrarAuthorizer;
  readonly #authenticator: DigestAuthenticator | undefined;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: RegistrarOptions) {
    super();
    this.#store = options.store;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? cryptoRandom;
    this.#defaultExpires = options.defaultExpires ?? DEFAULTS.defaultExpires;
    this.#minExpires = options.minExpires ?? DEFAULTS.minExpires;
    this.#maxExpires = options.maxExpires ?? DEFAULTS.maxExpires;
    this.#maxBindings = options.maxBindingsPerAor ?? DEFAULTS.maxBindingsPerAor;
    this.#domains = options.domains && new Set(options.domains.map((d) => d.toLowerCase()));
    this.#authorize = options.authorize ?? defaultAuthorize;
    this.#authenticator = options.authenticator;
  }

  get store(): LocationStore {
    return this.#store;
  }

  /** Processes a REGISTER and returns the response to send. Never throws. */
  async handle(request: SipRequest, context: RegisterContext = {}): Promise<SipResponse> {
    try {
      return await this.#handle(request, context);
    } catch (err) {
      if (err instanceof Reject) return this.#respond(request, err.status, err.reason, err.headers ?? []);
      return this.#respond(request, 500);
    }
  }

  /** Live bindings of an AOR (given as a URI or its canonical string), highest q first, then most recently refreshed. */
  async lookup(target: string | Uri): Promise<Binding[]> {
    let key: string | undefined;
    if (typeof target === 'string') {
      try {
        key = aorKey(parseUri(target));
      } catch {
        key = undefined;
      }
    } else key = aorKey(target);
    if (key === undefined) return [];
    const list = await this.#store.get(key);
    return list.sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.updatedAt - a.updatedAt);
  }

  /** Purges lapsed bindings from the store (call it now and then); emits `expired`. */
  async expire(): Promise<Binding[]> {
    const gone = await this.#store.expire();
    if (gone.length > 0) this.safeEmit('expired', gone);
    return gone;
  }

  async #handle(request: SipRequest, context: RegisterContext): Promise<SipResponse> {
    if (request.method !== 'REGISTER') throw new Reject(405, undefined, [['Allow', 'REGISTER']]);
    // headers every response needs; a broken one cannot be answered sensibly
    let callId: string;
    let cseq: number;
    try {
      callId = request.callId;
      cseq = request.cseq.seq;
      void request.from;
    } catch {
      throw new Reject(400, 'Bad Request (malformed Call-ID, CSeq or From)');
    }

    // step 2: extensions
    let require: string[];
    try {
      require = request.require;
    } catch {
      throw new Reject(400, 'Bad Request (malformed Require)');
    }
    const unsupported = require.filter((t) => !SUPPORTED.includes(t.toLowerCase()));
    if (unsupported.length > 0) throw new Reject(420, undefined, [['Unsupported', unsupported.join(', ')]]);

    // step 3: authentication, when the registrar owns it
    let user = context.user;
    if (user === undefined && this.#authenticator !== undefined) {
      const v = await this.#authenticator.verify(request);
      if (!v.ok) return v.response;
      user = v.user;
    }

    // step 5: the address-of-record
    let to: NameAddr;
    try {
      to = request.to;
    } catch {
      throw new Reject(400, 'Bad Request (malformed To)');
    }
    const aor = to.uri;
    if (!isSipUri(aor)) throw new Reject(400, 'Bad Request (address-of-record must be a SIP or SIPS URI)');
    const key = aor.aor;
    if (this.#domains !== undefined && !this.#domains.has(aor.host.toLowerCase())) throw new Reject(404);

    // step 4: the authenticated user may change this AOR
    if (!(await this.#authorize({ user, aor, aorKey: key, request }))) throw new Reject(403);

    // step 6: the contacts
    let star: boolean;
    let contacts: NameAddr[];
    try {
      star = request.contactStar;
      contacts = request.contacts;
    } catch {
      throw new Reject(400, 'Bad Request (malformed Contact)');
    }
    // RFC 3261 §20.19: a malformed Expires counts as absent (the default), a huge one as 2^32-1
    const rawExpires = request.getHeader('expires');
    const headerExpires = rawExpires === undefined ? undefined : deltaSeconds(rawExpires.trim());
    if (star) {
      if (headerExpires !== 0) {
        throw new Reject(400, 'Bad Request ("Contact: *" needs "Expires: 0")');
      }
    }
    const plans: ContactPlan[] = [];
    for (const addr of contacts) {
      const expires = this.#expiresOf(addr, headerExpires);
      if (expires > 0 && expires < this.#minExpires) {
        throw new Reject(423, undefined, [['Min-Expires', String(this.#minExpires)]]);
      }
      const instanceId = paramValue(addr.params.get('+sip.instance'));
      const regRaw = addr.params.get('reg-id');
      const regId = regRaw != null && /^\d{1,9}$/.test(regRaw) ? Number(regRaw) : undefined;
      plans.push({
        addr,
        uri: addr.uri.toString(),
        expires: Math.min(expires, this.#maxExpires),
        instanceId,
        regId,
      });
    }
    if (plans.filter((p) => p.expires > 0).length > this.#maxBindings) {
      throw new Reject(403, 'Forbidden (too many contacts)');
    }

    // step 7: apply under the AOR's lock
    return this.#serialize(key, async () => {
      const now = this.#clock.wallTime();
      const existing = await this.#store.get(key);
      const removed = new Map<string, Binding>();
      const upserts = new Map<string, Binding>();
      const added: Binding[] = [];
      const refreshed: Binding[] = [];
      const stale = (b: Binding) => b.callId === callId && cseq <= b.cseq;
      if (star) {
        if (existing.some(stale)) throw new Reject(400, 'Bad Request (CSeq out of order)');
        for (const b of existing) removed.set(b.key, b);
      }
      const path = request.getHeaders('path');
      const userAgent = request.getHeader('user-agent');
      for (const p of plans) {
        const match = findBinding(existing, p);
        if (match !== undefined && stale(match)) throw new Reject(400, 'Bad Request (CSeq out of order)');
        const bindingKey = match?.key ?? keyOf(p);
        if (p.expires === 0) {
          upserts.delete(bindingKey);
          if (match !== undefined) removed.set(match.key, match);
          continue;
        }
        const q = qOf(p.addr);
        const b: Binding = {
          aor: key,
          key: bindingKey,
          uri: p.uri,
          params: [...p.addr.params].filter(([n]) => n.toLowerCase() !== 'expires'),
          q,
          expiresAt: now + p.expires * 1000,
          updatedAt: now,
          callId,
          cseq,
          path,
          instanceId: p.instanceId,
          regId: p.regId,
          source: context.source,
          userAgent,
        };
        removed.delete(bindingKey);
        upserts.set(bindingKey, b);
      }
      // the bound on bindings: drop the least recently refreshed ones this request did not touch
      let live = existing.filter((b) => !removed.has(b.key) && !upserts.has(b.key)).length + upserts.size;
      if (live > this.#maxBindings) {
        const victims = existing
          .filter((b) => !removed.has(b.key) && !upserts.has(b.key))
          .sort((a, b) => a.updatedAt - b.updatedAt);
        for (const v of victims) {
          if (live <= this.#maxBindings) break;
          removed.set(v.key, v);
          live--;
        }
      }
      if (upserts.size > 0 || removed.size > 0) {
        try {
          await this.#store.update(key, { upsert: [...upserts.values()], remove: [...removed.keys()] });
        } catch {
          throw new Reject(500, 'Server Internal Error (location store)');
        }
      }
      const existingKeys = new Set(existing.map((b) => b.key));
      for (const b of upserts.values()) (existingKeys.has(b.key) ? refreshed : added).push(b);
      const current = [
        ...existing.filter((b) => !removed.has(b.key) && !upserts.has(b.key)),
        ...existing.filter((b) => upserts.has(b.key)).map((b) => upserts.get(b.key) as Binding),
        ...added,
      ];
      if (added.length + refreshed.length + removed.size > 0) {
        this.safeEmit('changed', { aor: key, added, refreshed, removed: [...removed.values()] });
      }
      return this.#ok(request, current, now, path, plans);
    });
  }

  #ok(
    request: SipRequest,
    current: Binding[],
    now: number,
    path: string[],
    plans: ContactPlan[],
  ): SipResponse {
    const headers: Array<[string, string]> = [];
    for (const b of current) {
      const remaining = Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
      let v = `<${b.uri}>`;
      for (const [n, value] of b.params) v += value === null ? `;${n}` : `;${n}=${value}`;
      headers.push(['Contact', `${v};expires=${remaining}`]);
    }
    if (path.length > 0) headers.push(['Path', path.join(', ')]);
    let supported: string[] = [];
    try {
      supported = request.supported.map((s) => s.toLowerCase());
    } catch {
      supported = [];
    }
    if (
      supported.includes('outbound') &&
      plans.some((p) => p.instanceId !== undefined && p.regId !== undefined)
    ) {
      headers.push(['Require', 'outbound']);
    }
    headers.push(['Supported', SUPPORTED.join(', ')]);
    headers.push(['Date', new Date(this.#clock.wallTime()).toUTCString()]);
    return this.#respond(request, 200, undefined, headers);
  }

  #expiresOf(addr: NameAddr, headerExpires: number | undefined): number {
    const raw = addr.params.get('expires');
    if (raw != null) {
      const n = deltaSeconds(paramValue(raw) as string);
      if (n !== undefined) return n;
    }
    return headerExpires ?? this.#defaultExpires;
  }

  #respond(
    request: SipRequest,
    status: number,
    reason?: string,
    headers: Array<[string, string]> = [],
  ): SipResponse {
    let toTag: string | undefined;
    try {
      toTag = request.to.tag === undefined ? randomToken(this.#random, 10) : undefined;
    } catch {
      toTag = undefined;
    }
    try {
      return createResponse(
        request,
        status,
        reason === undefined ? { toTag, headers } : { toTag, headers, reason },
      );
    } catch {
      // a request whose own headers cannot be copied: answer with what can be
      return createResponse(request, status, { reason });
    }
  }

  async #serialize<T>(aor: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(aor) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(aor, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(aor) === tail) this.#locks.delete(aor);
    }
  }
}

/** An existing binding the contact refreshes: same instance (and reg-id) when it has one, else an equal URI. */
function findBinding(existing: Binding[], p: ContactPlan): Binding | undefined {
  if (p.instanceId !== undefined) {
    return existing.find((b) => b.instanceId === p.instanceId && b.regId === p.regId);
  }
  return existing.find((b) => {
    try {
      return b.uri === p.uri || uriEquals(parseUri(b.uri), p.addr.uri);
    } catch {
      return false;
    }
  });
}

function keyOf(p: ContactPlan): string {
  if (p.instanceId !== undefined) {
    return p.regId === undefined ? `instance:${p.instanceId}` : `instance:${p.instanceId};reg-id=${p.regId}`;
  }
  return `uri:${p.uri}`;
}

function qOf(addr: NameAddr): number | undefined {
  const raw = addr.params.get('q');
  if (raw == null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(raw)) return undefined;
  return Number(raw);
}

/** delta-seconds; larger values count as 2^32-1 (RFC 3261 §20.19); anything else is undefined. */
function deltaSeconds(v: string): number | undefined {
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Math.min(n, MAX_DELTA);
}
