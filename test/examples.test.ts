/** Every example in examples/ runs and prints what its comment promises. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const run = (file: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file)], {
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

  it('acd-erlang.ts sizes a queue with Erlang C', () => {
    const out = run('acd-erlang.ts');
    expect(out).toMatch(/48 erlangs need (\d+) agents/);
    const agents = Number(/need (\d+) agents/.exec(out)?.[1]);
    expect(agents).toBeGreaterThan(48);
    expect(Number(/service level ([\d.]+)%/.exec(out)?.[1])).toBeGreaterThanOrEqual(80);
  });
});
