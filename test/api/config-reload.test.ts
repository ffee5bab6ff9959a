import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ConfigDiff,
  type ConfigError,
  diffConfig,
  parseConfig,
  type SwitchConfig,
  watchConfig,
} from '../../src/api/index.js';
import { FakeClock } from '../../src/core/index.js';

const base = [
  'users:',
  '  - { extension: 1001, password: a }',
  '  - { extension: 1002, password: b, name: Bob }',
  '  - { extension: 1003, password: c }',
  'routes:',
  '  - { exact: 9196, application: echo }',
  'applications: [{ name: echo, type: echo }]',
  'queues: [{ id: q, wrapUpMs: 5s }]',
  'agents: [{ extension: 1003, queues: [q] }]',
  'trunks: [{ name: carrier, registrar: "sip:a.example", register: false }]',
  'logging: { level: info }',
].join('\n');

const cfg = (text: string) => parseConfig(text, { env: {}, baseDir: '/srv' });

describe('diffConfig', () => {
  it('finds nothing between a configuration and itself', () => {
    const d = diffConfig(cfg(base), cfg(base));
    expect(d.empty).toBe(true);
    expect(d.settings).toEqual([]);
  });

  it('reports users added, removed and changed with the fields that changed', () => {
    const next = base
      .replace('  - { extension: 1001, password: a }\n', '')
      .replace('password: b, name: Bob', 'password: b2, name: Bob, maxDevices: 5')
      .replace(
        '  - { extension: 1003, password: c }',
        '  - { extension: 1003, password: c }\n  - { extension: 1004, password: d }',
      );
    const d = diffConfig(cfg(base), cfg(next));
    expect(d.users.added.map((u) => u.extension)).toEqual(['1004']);
    expect(d.users.removed.map((u) => u.extension)).toEqual(['1001']);
    expect(d.users.changed.map((c) => [c.key, c.fields])).toEqual([['1002', ['maxDevices', 'password']]]);
    expect(d.routes.changed).toBe(false);
    expect(d.settings).toEqual([]);
    expect(d.restartRequired).toEqual([]);
    expect(d.empty).toBe(false);
  });

  it('reports a changed dial plan, trunks, queues and agents', () => {
    const next = base
      .replace('{ exact: 9196, application: echo }', '{ exact: 9197, application: echo }')
      .replace('register: false }', 'register: false, expires: 600 }')
      .replace('wrapUpMs: 5s', 'wrapUpMs: 10s')
      .replace('agents: [{ extension: 1003, queues: [q] }]', 'agents: []');
    const d = diffConfig(cfg(base), cfg(next));
    expect(d.routes.changed).toBe(true);
    expect(d.trunks.changed.map((c) => [c.key, c.fields])).toEqual([['carrier', ['expires']]]);
    expect(d.queues.changed.map((c) => [c.key, c.fields])).toEqual([['q', ['wrapUpMs']]]);
    expect(d.agents.removed.map((a) => a.id)).toEqual(['1003']);
  });

  it('lists other settings by path and says which need a restart', () => {
    const next = `${base.replace('level: info', 'level: debug')}\nsip: { transports: [{ type: tcp }], userAgent: X }\nmedia: { codecs: [PCMA] }`;
    const d = diffConfig(cfg(base), cfg(next));
    expect(d.settings).toEqual(['logging.level', 'media.codecs', 'sip.transports', 'sip.userAgent']);
    expect(d.restartRequired).toEqual(['sip.transports', 'sip.userAgent']);
  });

  it('route order matters', () => {
    const two = `${base.replace('  - { exact: 9196, application: echo }', '  - { exact: 1, application: echo }\n  - { exact: 2, application: echo }')}`;
    const swapped = two
      .replace('exact: 1,', 'exact: X,')
      .replace('exact: 2,', 'exact: 1,')
      .replace('exact: X,', 'exact: 2,');
    expect(diffConfig(cfg(two), cfg(swapped)).routes.changed).toBe(true);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'strowger-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder() {
  const changes: { next: SwitchConfig; diff: ConfigDiff }[] = [];
  const errors: ConfigError[] = [];
  let wake: (() => void) | undefined;
  const waitFor = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      if (pred()) return resolve();
      wake = () => {
        if (pred()) resolve();
      };
    });
  return {
    changes,
    errors,
    waitFor,
    onChange: (next: SwitchConfig, diff: ConfigDiff) => {
      changes.push({ next, diff });
      wake?.();
    },
    onError: (e: ConfigError) => {
      errors.push(e);
      wake?.();
    },
  };
}

describe('watchConfig', () => {
  it('keeps the old configuration on a bad edit, reports the errors, and applies the next good one', async () => {
    const file = join(dir, 'a.yaml');
    writeFileSync(file, base);
    const initial = cfg(base);
    const r = recorder();
    const w = watchConfig(file, r.onChange, r.onError, { initial, env: {}, clock: new FakeClock() });
    writeFileSync(file, `${base}\n  - { extension: 1004 }`.replace('logging: { level: info }\n', ''));
    writeFileSync(file, base.replace('users:\n', 'users:\n  - { extension: 1004 }\n'));
    await w.reload();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.code).toBe('ERR_CONFIG');
    expect(r.errors[0]?.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'users[0].password: required',
    ]);
    expect(w.current).toBe(initial);
    expect(r.changes).toEqual([]);

    writeFileSync(file, base.replace('users:\n', 'users:\n  - { extension: 1004, password: d }\n'));
    await w.reload();
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]?.diff.users.added.map((u) => u.extension)).toEqual(['1004']);
    expect(w.current?.users).toHaveLength(4);

    await w.reload(); // unchanged: nothing to report
    expect(r.changes).toHaveLength(1);
    w.close();
    w.close();
    expect(w.closed).toBe(true);
  });

  it('a throwing change handler is reported, not thrown, and a vanished file is an error', async () => {
    const file = join(dir, 'b.yaml');
    writeFileSync(file, base);
    const errors: ConfigError[] = [];
    const w = watchConfig(
      file,
      () => {
        throw new Error('handler broke');
      },
      (e) => errors.push(e),
      { initial: cfg(base), env: {}, clock: new FakeClock() },
    );
    writeFileSync(file, base.replace('level: info', 'level: warn'));
    await w.reload();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('handler broke')]);
    expect(w.current?.logging.level).toBe('warn');
    rmSync(file);
    await w.reload();
    expect(errors[1]?.issues[0]?.message).toMatch(/no such file/);
    expect(w.current?.logging.level).toBe('warn');
    w.close();
  });

  it('debounces file events on its clock', async () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, base);
    const clock = new FakeClock();
    const r = recorder();
    const w = watchConfig(file, r.onChange, r.onError, {
      initial: cfg(base),
      env: {},
      clock,
      debounceMs: 500,
    });
    // Wait for the watcher to see the write: a timer appears on the fake clock.
    writeFileSync(file, base.replace('level: info', 'level: error'));
    while (clock.pendingTimers === 0) await new Promise((res) => setTimeout(res, 10));
    writeFileSync(file, base.replace('level: info', 'level: debug'));
    clock.advance(499);
    expect(r.changes).toHaveLength(0);
    clock.advance(1_000);
    await r.waitFor(() => r.changes.length > 0);
    expect(r.changes.at(-1)?.next.logging.level).toBe('debug');
    w.close();
  });

  it('follows an editor that saves by renaming a new file over the old one', async () => {
    const file = join(dir, 'd.yaml');
    writeFileSync(file, base);
    const r = recorder();
    const w = watchConfig(file, r.onChange, r.onError, { initial: cfg(base), env: {}, debounceMs: 20 });
    writeFileSync(join(dir, 'd.yaml.tmp'), base.replace('level: info', 'level: trace'));
    renameSync(join(dir, 'd.yaml.tmp'), file);
    await r.waitFor(() => r.changes.some((c) => c.next.logging.level === 'trace'));
    writeFileSync(join(dir, 'd.yaml.tmp'), base.replace('level: info', 'level: warn'));
    renameSync(join(dir, 'd.yaml.tmp'), file);
    await r.waitFor(() => r.changes.some((c) => c.next.logging.level === 'warn'));
    expect(r.errors).toEqual([]);
    w.close();
  });
});
