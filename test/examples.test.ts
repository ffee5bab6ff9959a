/** Every example in examples/ runs and prints what its comment promises. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../src/switch/index.js';

const root = join(__dirname, '..');
const run = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('examples', () => {
  it('parse-sip.ts parses an INVITE and prints a 180 Ringing', () => {
    const out = run('parse-sip.ts');
    expect(out).toContain('INVITE from Alice <sip:1001@pbx.example.com> tag 1928301774');
    expect(out).toContain('SIP/2.0 180 Ringing\r\n');
    expect(out).toContain('To: <sip:1002@pbx.example.com>;tag=b7x2\r\n');
  });

  it('switch/library.ts runs a switch, registers a phone, calls the echo test twice (once after a reload), closes', () => {
    const out = run('switch/library.ts');
    expect(out).toMatch(/^switch listening on UDP 127\.0\.0\.1:\d+\n/);
    expect(out).toContain('registration: 1001 has 1 device(s)\n');
    for (const n of ['9196', '7777']) {
      expect(out).toContain(`call: 1001 -> ${n} (application)\nanswered: media echo\n`);
      expect(out).toContain(`ended: ${n} answered, hung up by caller; CDR legs 1\n`);
    }
    expect(out).toContain('CDR: 1001 -> 9196 answered\nCDR: 1001 -> 7777 answered\n');
    expect(out).toMatch(/closed: true\n$/);
  });

  it('switch/cdrs.ts lists the CDRs of a data directory, newest first, optionally for one extension', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strowger-cdrs-'));
    try {
      const storage = await createSqliteStorage({ dataDir });
      const t = Date.UTC(2026, 0, 2, 3, 4, 5);
      await storage.cdrs.write({
        callId: 'a',
        caller: { number: '1001' },
        callee: { number: '1002' },
        direction: 'internal',
        startedAt: t,
        answeredAt: t + 2_000,
        endedAt: t + 12_000,
        disposition: 'answered',
        hangup: { by: 'callee' },
        legs: [{ role: 'caller' }, { role: 'callee' }],
      });
      await storage.cdrs.write({
        callId: 'b',
        caller: { number: '1003' },
        callee: { number: '5555' },
        direction: 'internal',
        startedAt: t + 60_000,
        endedAt: t + 60_010,
        disposition: 'failed',
        hangup: { by: 'system', status: 404 },
      });
      await storage.close();
      expect(run(`switch/cdrs.ts`, dataDir)).toBe(
        [
          '2026-01-02 03:05:05  1003 -> 5555  failed 404  ring 10 ms, talk 0 ms, hung up by system, 0 leg(s)',
          '2026-01-02 03:04:05  1001 -> 1002  answered  ring 2000 ms, talk 10000 ms, hung up by callee, 2 leg(s)',
          '',
        ].join('\n'),
      );
      expect(run('switch/cdrs.ts', dataDir, '1002')).toMatch(/^2026-01-02 03:04:05 {2}1001 -> 1002 .*\n$/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('acd-erlang.ts sizes a queue with Erlang C', () => {
    const out = run('acd-erlang.ts');
    expect(out).toMatch(/48 erlangs need (\d+) agents/);
    const agents = Number(/need (\d+) agents/.exec(out)?.[1]);
    expect(agents).toBeGreaterThan(48);
    expect(Number(/service level ([\d.]+)%/.exec(out)?.[1])).toBeGreaterThanOrEqual(80);
  });
});
