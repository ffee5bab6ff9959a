/**
 * The startup banner: where to point a softphone, and — for a demo configuration — the
 * accounts to log in with. Plain text for stdout; the logs go to stderr.
 */
import type { SwitchConfig, TransportConfig } from '../config/index.js';
import { VERSION } from '../version.js';

export interface BannerOptions {
  /** The configuration file, shown as given. */
  configPath?: string;
  /** The database file, when storage is open. */
  storagePath?: string;
  /** The ports actually bound, in the order of `sip.transports` (a `port: 0` transport gets its real port). */
  boundPorts?: readonly number[];
  /** Signalling only: no media is anchored (echo and playback refuse calls). */
  signallingOnly?: boolean;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

function hostOf(t: TransportConfig, domain: string): string {
  const h = t.publicAddress ?? (WILDCARD.has(t.address) ? domain : t.address);
  return h.includes(':') ? `[${h}]` : h;
}

function describeTransport(t: TransportConfig, domain: string): string {
  const host = hostOf(t, domain);
  if (t.type === 'ws' || t.type === 'wss') return `${t.type}://${host}:${t.port}${t.path ?? '/'}`;
  return `${t.type.toUpperCase()} ${host}:${t.port}`;
}

export function formatBanner(config: SwitchConfig, options: BannerOptions = {}): string {
  const bound = options.boundPorts;
  const sip = bound
    ? {
        ...config.sip,
        transports: config.sip.transports.map((t, i) => ({ ...t, port: bound[i] ?? t.port })),
      }
    : config.sip;
  const lines: string[] = [];
  lines.push(`Strowger ${VERSION}${config.demo ? ' — demo switch' : ''}`);
  if (options.configPath) lines.push(`  configuration  ${options.configPath}`);
  lines.push(`  SIP domain     ${sip.domain} (realm ${sip.realm})`);
  lines.push(`  SIP transports ${sip.transports.map((t) => describeTransport(t, sip.domain)).join(', ')}`);
  if (options.storagePath) lines.push(`  data           ${options.storagePath}`);
  lines.push('');
  const plain = sip.transports.filter((t) => t.type === 'udp' || t.type === 'tcp' || t.type === 'tls');
  const web = sip.transports.filter((t) => t.type === 'ws' || t.type === 'wss');
  lines.push('Point a softphone at:');
  const byPort = new Map<string, string[]>();
  for (const t of plain) {
    const k = `${hostOf(t, sip.domain)} port ${t.port}`;
    byPort.set(k, [...(byPort.get(k) ?? []), t.type.toUpperCase()]);
  }
  for (const [where, types] of byPort)
    lines.push(`  server ${where} (${types.join(' or ')}), domain ${sip.domain}`);
  for (const t of web) lines.push(`  WebSocket ${describeTransport(t, sip.domain)} (browser phones)`);
  const users = config.users.filter((u) => u.enabled);
  if (config.demo && users.length > 0) {
    lines.push('');
    lines.push('Demo accounts (user / password):');
    for (const u of users)
      lines.push(`  ${u.extension.padEnd(8)} ${u.password}${u.name ? `   ${u.name}` : ''}`);
  } else if (users.length > 0) {
    lines.push(
      `  ${users.length} user${users.length === 1 ? '' : 's'}: ${users.map((u) => u.extension).join(', ')}`,
    );
  }
  const dialable = config.routes.filter((r) => r.match.kind === 'exact');
  if (dialable.length > 0) {
    lines.push('');
    lines.push('Try dialing:');
    for (const r of dialable) {
      const t = r.target;
      const what =
        t.kind === 'application'
          ? `application ${t.application}`
          : t.kind === 'queue'
            ? `queue ${t.queue}; queues are not served by the switch yet: 480`
            : t.kind === 'trunk'
              ? `trunk ${t.trunk}`
              : `extension ${t.extension}`;
      lines.push(`  ${r.match.value.padEnd(8)} ${r.name ?? what}${r.name ? ` (${what})` : ''}`);
    }
  }
  if (options.signallingOnly) {
    lines.push('');
    lines.push('Signalling only: media is not anchored (the echo and playback applications refuse calls).');
  }
  lines.push('');
  lines.push('Register two softphones, call one from the other; SIGTERM or Ctrl-C drains and stops.');
  return `${lines.join('\n')}\n`;
}
