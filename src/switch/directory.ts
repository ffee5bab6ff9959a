/**
 * The switch's view of its configuration at one moment: users by extension, trunks and
 * applications by name, the DIDs of each trunk and the compiled dial plan. A hot reload
 * builds a new Directory and swaps it in; calls in progress keep the objects they
 * started with. `destination()` is the routing decision, pure: the dialed number and who
 * calls in, the destination out.
 */
import { StrowgerError } from '../core/index.js';
import { createDialPlan, type DialPlan, type RouteTarget } from './dialplan/index.js';
import type { SwitchApplication, SwitchReloadable, SwitchTrunk, SwitchUser } from './settings.js';

/** Who places a call: a local user (authenticated) or a trunk (by its source address). */
export type CallSource = { kind: 'user'; user: SwitchUser } | { kind: 'trunk'; trunk: SwitchTrunk };

/** Where a call goes. */
export type Destination =
  | { kind: 'extension'; user: SwitchUser; number: string; route?: string }
  | { kind: 'application'; application: SwitchApplication; number: string; route?: string }
  | { kind: 'trunk'; trunk: SwitchTrunk; number: string; route?: string }
  | { kind: 'queue'; queue: string; number: string; route?: string }
  /** Nothing matched, or the match names something that does not exist or is disabled. */
  | { kind: 'unknown'; number: string; why: string };

export class Directory {
  readonly users: ReadonlyMap<string, SwitchUser>;
  readonly trunks: ReadonlyMap<string, SwitchTrunk>;
  readonly applications: ReadonlyMap<string, SwitchApplication>;
  readonly plan: DialPlan;
  readonly #dids: ReadonlyMap<string, ReadonlyMap<string, RouteTarget>>;

  constructor(settings: SwitchReloadable) {
    this.users = new Map(settings.users.map((u) => [u.extension, u]));
    this.trunks = new Map(settings.trunks.map((t) => [t.name, t]));
    this.applications = new Map(settings.applications.map((a) => [a.name, a]));
    this.plan = createDialPlan(settings.routes);
    this.#dids = new Map(
      settings.trunks.map((t) => [t.name, new Map(t.dids.map((d) => [d.number, d.target as RouteTarget]))]),
    );
    if (this.users.size !== settings.users.length)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'two users have the same extension');
  }

  /** An enabled user, or undefined. */
  user(extension: string): SwitchUser | undefined {
    const u = this.users.get(extension);
    return u?.enabled ? u : undefined;
  }

  /**
   * Routes `numbers[0]` (the Request-URI user) for `source`. For a trunk the DIDs come
   * first, and every candidate number (Request-URI user, then To user) is tried against
   * them; then the dial plan (routes open to trunks). For a user an extension's own number
   * reaches it directly; then the dial plan (routes open to users).
   */
  destination(numbers: readonly string[], source: CallSource): Destination {
    const number = numbers[0] ?? '';
    if (source.kind === 'trunk') {
      const dids = this.#dids.get(source.trunk.name);
      for (const n of numbers) {
        const target = dids?.get(n);
        if (target) return this.#target(target, n, `DID ${n}`);
      }
      const hit = this.plan.route(number, 'trunks');
      if (!hit) return { kind: 'unknown', number, why: 'no DID or route matches' };
      return this.#target(hit.target, hit.number, hit.route.name ?? `routes[${hit.index}]`);
    }
    const own = this.users.get(number);
    if (own) {
      return own.enabled
        ? { kind: 'extension', user: own, number }
        : { kind: 'unknown', number, why: `extension ${number} is disabled` };
    }
    const hit = this.plan.route(number, 'users');
    if (!hit) return { kind: 'unknown', number, why: 'no route matches' };
    return this.#target(hit.target, hit.number, hit.route.name ?? `routes[${hit.index}]`);
  }

  #target(target: RouteTarget, number: string, route: string): Destination {
    switch (target.kind) {
      case 'extension': {
        const user = this.user(target.extension);
        return user
          ? { kind: 'extension', user, number: target.extension, route }
          : { kind: 'unknown', number, why: `extension ${target.extension} is unknown or disabled` };
      }
      case 'application': {
        const application = this.applications.get(target.application);
        return application
          ? { kind: 'application', application, number, route }
          : { kind: 'unknown', number, why: `no application ${target.application}` };
      }
      case 'trunk': {
        const trunk = this.trunks.get(target.trunk);
        return trunk?.enabled
          ? { kind: 'trunk', trunk, number, route }
          : { kind: 'unknown', number, why: `trunk ${target.trunk} is unknown or disabled` };
      }
      case 'queue':
        return { kind: 'queue', queue: target.queue, number, route };
    }
  }
}
