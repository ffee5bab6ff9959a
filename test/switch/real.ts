/**
 * A switch on real loopback sockets, started the way a user starts one: a YAML
 * configuration through `createSwitch()`. SIP on UDP and TCP port 0 (one free port for
 * both), RTP on a random block of ports, CDRs in SQLite in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createSwitch, loadConfig } from '../../src/api/index.js';
import type { Switch } from '../../src/switch/index.js';

export interface RealSwitch {
  sw: Switch;
  /** The UDP (and TCP) port. */
  port: number;
  dir: string;
  close(): Promise<void>;
}

export const DEMO_USERS = Array.from({ length: 10 }, (_, i) => 1001 + i)
  .map((e) => `  - { extension: ${e}, name: User ${e}, password: demo${e} }`)
  .join('\n');

export function configText(extra = ''): string {
  const base = 20000 + 200 * Math.floor(Math.random() * 45);
  return [
    'sip:',
    '  domain: 127.0.0.1',
    '  transports:',
    '    - { type: udp, address: 127.0.0.1, port: 0 }',
    '    - { type: tcp, address: 127.0.0.1, port: 0 }',
    'media:',
    '  address: 127.0.0.1',
    `  rtpPorts: { min: ${base}, max: ${base + 199} }`,
    '  codecs: [PCMU, PCMA]',
    '  workers: 1',
    'users:',
    DEMO_USERS,
    'applications:',
    '  - { name: echo, type: echo }',
    '  - { name: tone, type: playback, tone: dial, durationMs: 30s }',
    'routes:',
    '  - { exact: 9196, application: echo }',
    '  - { exact: 9197, application: tone }',
    'storage: { dataDir: ./data }',
    'logging: { level: silent }',
    extra,
  ].join('\n');
}

export async function realSwitch(extra = ''): Promise<RealSwitch> {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-switch-'));
  const config = await loadConfig({ text: configText(extra), name: 'test.yaml' }, { baseDir: dir });
  const sw = await createSwitch(config, {
    logger: createLogger({ level: process.env.SWITCH_DEBUG ? 'debug' : 'silent' }),
  });
  const port = sw.addresses[0]?.port as number;
  return {
    sw,
    port,
    dir,
    async close() {
      await sw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `predicate` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
