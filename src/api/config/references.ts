/**
 * Rules across sections: unique names, routes and DIDs that name existing extensions,
 * trunks, applications and queues, agents on existing extensions and queues, transports
 * that do not bind the same socket twice. They run on the raw input, beside the schema,
 * so a file with both kinds of problem gets every one reported at once; a field the schema
 * already rejects is skipped here.
 */
import { CONFIG_DEFAULTS as D } from './defaults.js';
import type { ConfigIssue } from './errors.js';

type Raw = Record<string, unknown>;

const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** A name or dial string as the schema would read it, or undefined when it is not one. */
const key = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0
    ? v
    : typeof v === 'number' && Number.isInteger(v) && v >= 0
      ? String(v)
      : undefined;

function uniques(
  items: unknown[],
  section: string,
  field: string,
  keyOf: (item: Raw) => unknown,
  issues: ConfigIssue[],
): Set<string> {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    if (!isObj(item)) return;
    const k = key(keyOf(item));
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else
      issues.push({
        path: `${section}[${i}].${field}`,
        message: `${JSON.stringify(k)} is already used by ${section}[${first}]`,
      });
  });
  return new Set(seen.keys());
}

const SOCKET_FAMILY: Record<string, string> = { udp: 'udp', tcp: 'tcp', tls: 'tcp', ws: 'tcp', wss: 'tcp' };
const WILDCARD = new Set(['0.0.0.0', '::']);

export function checkReferences(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObj(raw)) return issues;
  const users = list(raw.users);
  const trunks = list(raw.trunks);
  const apps = list(raw.applications);
  const queues = list(raw.queues);
  const agents = list(raw.agents);

  const extensions = uniques(users, 'users', 'extension', (u) => u.extension, issues);
  const trunkNames = uniques(trunks, 'trunks', 'name', (t) => t.name, issues);
  const appNames = uniques(apps, 'applications', 'name', (a) => a.name, issues);
  const queueIds = uniques(queues, 'queues', 'id', (q) => q.id, issues);
  uniques(agents, 'agents', 'id', (a) => a.id ?? a.extension, issues);
  uniques(agents, 'agents', 'extension', (a) => a.extension, issues);

  const known: Record<string, [Set<string>, string]> = {
    extension: [extensions, 'users'],
    trunk: [trunkNames, 'trunks'],
    application: [appNames, 'applications'],
    queue: [queueIds, 'queues'],
  };
  const checkTarget = (item: Raw, at: string, kinds: readonly string[]) => {
    for (const kind of kinds) {
      const v = key(item[kind]);
      if (v === undefined) continue;
      const [set, section] = known[kind] as [Set<string>, string];
      if (!set.has(v))
        issues.push({ path: `${at}.${kind}`, message: `no ${kind} ${JSON.stringify(v)} in ${section}` });
    }
  };

  list(raw.routes).forEach((r, i) => {
    if (isObj(r)) checkTarget(r, `routes[${i}]`, ['extension', 'trunk', 'application', 'queue']);
  });

  const dids = new Map<string, string>();
  trunks.forEach((t, i) => {
    if (!isObj(t)) return;
    list(t.dids).forEach((d, j) => {
      if (!isObj(d)) return;
      const at = `trunks[${i}].dids[${j}]`;
      checkTarget(d, at, ['extension', 'application', 'queue']);
      const n = key(d.number);
      if (n === undefined) return;
      const first = dids.get(n);
      if (first)
        issues.push({ path: `${at}.number`, message: `${JSON.stringify(n)} is already routed by ${first}` });
      else dids.set(n, at);
    });
  });

  queues.forEach((q, i) => {
    if (!isObj(q)) return;
    list(q.overflow).forEach((o, j) => {
      if (!isObj(o) || !isObj(o.action) || o.action.type !== 'queue') return;
      const target = key(o.action.queue);
      const at = `queues[${i}].overflow[${j}].action.queue`;
      if (target === undefined) return;
      if (target === key(q.id)) issues.push({ path: at, message: 'must name another queue' });
      else if (!queueIds.has(target))
        issues.push({ path: at, message: `no queue ${JSON.stringify(target)} in queues` });
    });
  });

  agents.forEach((a, i) => {
    if (!isObj(a)) return;
    checkTarget(a, `agents[${i}]`, ['extension']);
    list(a.queues).forEach((m, j) => {
      const at = isObj(m) ? `agents[${i}].queues[${j}].queue` : `agents[${i}].queues[${j}]`;
      const id = key(isObj(m) ? m.queue : m);
      if (id !== undefined && !queueIds.has(id))
        issues.push({ path: at, message: `no queue ${JSON.stringify(id)} in queues` });
    });
  });

  if (isObj(raw.sip)) {
    const bound: { family: string; address: string; port: number; i: number; type: string }[] = [];
    list(raw.sip.transports).forEach((t, i) => {
      if (!isObj(t) || typeof t.type !== 'string' || !(t.type in SOCKET_FAMILY)) return;
      const port = t.port === undefined ? D.sip.ports[t.type as keyof typeof D.sip.ports] : t.port;
      const address = t.address === undefined ? D.sip.address : t.address;
      if (typeof port !== 'number' || typeof address !== 'string' || port === 0) return;
      const family = SOCKET_FAMILY[t.type] as string;
      const clash = bound.find(
        (b) =>
          b.family === family &&
          b.port === port &&
          (b.address === address || WILDCARD.has(b.address) || WILDCARD.has(address)),
      );
      if (clash) {
        issues.push({
          path: `sip.transports[${i}].port`,
          message: `${family.toUpperCase()} ${address}:${port} is already bound by sip.transports[${clash.i}] (${clash.type} ${clash.address}:${clash.port})`,
        });
      } else bound.push({ family, address, port, i, type: t.type });
    });
  }
  return issues;
}
