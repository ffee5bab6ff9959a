/** The strowger command, run as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
const MAIN = join(root, 'src', 'api', 'cli', 'main.ts');
const DEMO = join(root, 'examples', 'switch', 'demo.yaml');
// The children run in a temporary directory, so name tsx's loader by its full path.
const TSX = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
const tmp = mkdtempSync(join(tmpdir(), 'strowger-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function start(args: string[]): ChildProcess & {
  out: () => string;
  err: () => string;
  done: Promise<{ code: number | null; signal: string | null }>;
} {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; signal: string | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return Object.assign(child, { out: () => out, err: () => err, done });
}

async function run(args: string[]) {
  const c = start(args);
  const r = await c.done;
  return { ...r, stdout: c.out(), stderr: c.err() };
}

describe('strowger --check-config', () => {
  it('accepts the demo configuration: exit 0', async () => {
    const r = await run(['--config', DEMO, '--check-config']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^configuration OK: .*demo\.yaml \(3 transports, 10 users, 3 routes, 0 trunks, 2 applications, 1 queue, 6 agents\)\n$/,
    );
  });

  it('rejects a bad file: exit 1, every problem printed with its field', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      'users:\n  - { extension: 1001 }\nsip: { transports: [{ type: udp, port: 65536 }] }\nroutes: [{ exact: 9000, queue: sales }]\n',
    );
    const r = await run(['--config', bad, '--check-config']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`invalid configuration in ${bad} (3 problems):`);
    expect(r.stderr).toContain('  users[0].password: required\n');
    expect(r.stderr).toContain('  sip.transports[0].port: must be 0-65535 (0: any free port)\n');
    expect(r.stderr).toContain('  routes[0].queue: no queue "sales" in queues\n');
  });

  it('rejects a missing file and a bad flag: exit 1', async () => {
    const [missing, port, level] = await Promise.all([
      run(['--config', join(tmp, 'nope.yaml'), '--check-config']),
      run(['--config', DEMO, '--sip-port', '70000', '--check-config']),
      run(['--config', DEMO, '--log-level', 'loud', '--check-config']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    expect(port.code).toBe(1);
    expect(port.stderr).toContain('must be 0-65535');
    expect(level.code).toBe(1);
    expect(level.stderr).toMatch(/Allowed choices are fatal, error, warn, info, debug, trace, silent/);
  });
});

describe('strowger (running)', () => {
  it('prints the banner, runs until SIGTERM, then closes storage and exits 0 promptly', async () => {
    const dataDir = join(tmp, 'data');
    const c = start(['--config', DEMO, '--data-dir', dataDir, '--sip-port', '5070', '--log-level', 'debug']);
    await new Promise<void>((res, rej) => {
      const check = () => {
        if (c.out().includes('(issue 7).\n')) res();
      };
      c.stdout?.on('data', check);
      c.on('exit', () => rej(new Error(`exited early: ${c.err()}`)));
    });
    const banner = c.out();
    expect(banner).toContain('Strowger 0.1.0 — demo switch');
    expect(banner).toContain('server 127.0.0.1 port 5070 (UDP or TCP), domain 127.0.0.1');
    expect(banner).toContain('WebSocket ws://127.0.0.1:5066/');
    for (let i = 1; i <= 10; i++) expect(banner).toContain(`${1000 + i}     demo${1000 + i}`);
    expect(banner).toContain('9196     echo test');
    expect(banner).toContain(`data           ${join(dataDir, 'strowger.db')}`);
    expect(existsSync(join(dataDir, 'strowger.db'))).toBe(true);
    const sent = Date.now();
    c.kill('SIGTERM');
    const { code, signal } = await c.done;
    const tookMs = Date.now() - sent;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5_000);
    const logs = c
      .err()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logs.map((l) => l.msg)).toEqual(['strowger started', 'stopping', 'stopped']);
    expect(logs[1]).toMatchObject({ level: 'info', signal: 'SIGTERM' });
  });
});
