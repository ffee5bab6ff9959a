/**
 * What changed between two configurations, in the terms the running switch applies them:
 * users, trunks, applications, queues and agents by their key (added / removed / changed
 * with the fields that changed), the dial plan as a whole (routes are ordered), and the
 * other settings by dotted path, with those that need a restart singled out.
 */
import type {
  AgentEntryConfig,
  ApplicationConfig,
  QueueEntryConfig,
  SwitchConfig,
  TrunkConfig,
  UserConfig,
} from './types.js';

export interface KeyedChanges<T> {
  added: T[];
  removed: T[];
  changed: { key: string; before: T; after: T; fields: string[] }[];
}

export interface ConfigDiff {
  /** By extension. */
  users: KeyedChanges<UserConfig>;
  /** The dial plan changed (order, a route, or a route's target): rebuild it from the new config. */
  routes: { changed: boolean };
  /** By name. */
  trunks: KeyedChanges<TrunkConfig>;
  /** By name. */
  applications: KeyedChanges<ApplicationConfig>;
  /** By id (the ACD's updateQueue/addQueue/removeQueue). */
  queues: KeyedChanges<QueueEntryConfig>;
  /** By id (the ACD's updateAgent/addAgent/removeAgent). */
  agents: KeyedChanges<AgentEntryConfig>;
  /** Other settings that changed, as dotted paths (`logging.level`, `media.codecs`, `sip.transports`). */
  settings: string[];
  /** Of `settings`, those a running switch cannot apply: it must be restarted for them. */
  restartRequired: string[];
  /** True when nothing changed. */
  empty: boolean;
}

/** Settings (path prefixes) that only take effect at start. */
export const RESTART_REQUIRED: readonly string[] = Object.freeze([
  'sip.transports',
  'sip.domain',
  // the user agent, the registrar and the digest realm are set up once, at start
  'sip.realm',
  'sip.userAgent',
  'sip.timers',
  'sip.registration',
  'media.workers',
  'media.address',
  'media.publicAddress',
  'media.rtpPorts',
  'storage',
  'acd',
]);

/** Deep equality of JSON-like values (what a validated configuration holds). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function keyed<T extends object>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (t: T) => string,
): KeyedChanges<T> {
  const old = new Map(before.map((t) => [keyOf(t), t]));
  const now = new Map(after.map((t) => [keyOf(t), t]));
  const out: KeyedChanges<T> = { added: [], removed: [], changed: [] };
  for (const [k, t] of now) {
    const prev = old.get(k);
    if (prev === undefined) {
      out.added.push(t);
      continue;
    }
    const fields = [...new Set([...Object.keys(prev), ...Object.keys(t)])].filter(
      (f) => !deepEqual((prev as Record<string, unknown>)[f], (t as Record<string, unknown>)[f]),
    );
    if (fields.length > 0) out.changed.push({ key: k, before: prev, after: t, fields: fields.sort() });
  }
  for (const [k, t] of old) if (!now.has(k)) out.removed.push(t);
  return out;
}

/** Leaf paths where two settings objects differ; arrays compare as a whole. */
function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const k of keys) {
      changedPaths(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
        out,
      );
    }
  } else if (!deepEqual(a, b)) out.push(path);
}

const KEYED = new Set(['users', 'routes', 'trunks', 'applications', 'queues', 'agents']);

/** What changed from `before` to `after`. */
export function diffConfig(before: SwitchConfig, after: SwitchConfig): ConfigDiff {
  const settings: string[] = [];
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (KEYED.has(k)) continue;
    changedPaths(
      (before as unknown as Record<string, unknown>)[k],
      (after as unknown as Record<string, unknown>)[k],
      k,
      settings,
    );
  }
  const restartRequired = settings.filter((p) =>
    RESTART_REQUIRED.some((r) => p === r || p.startsWith(`${r}.`)),
  );
  const diff: ConfigDiff = {
    users: keyed(before.users, after.users, (u) => u.extension),
    routes: { changed: !deepEqual(before.routes, after.routes) },
    trunks: keyed(before.trunks, after.trunks, (t) => t.name),
    applications: keyed(before.applications, after.applications, (a) => a.name),
    queues: keyed(before.queues, after.queues, (q) => q.id),
    agents: keyed(before.agents, after.agents, (a) => a.id),
    settings,
    restartRequired,
    empty: false,
  };
  const none = (c: KeyedChanges<unknown>) => c.added.length + c.removed.length + c.changed.length === 0;
  diff.empty =
    none(diff.users) &&
    !diff.routes.changed &&
    none(diff.trunks) &&
    none(diff.applications) &&
    none(diff.queues) &&
    none(diff.agents) &&
    settings.length === 0;
  return diff;
}
