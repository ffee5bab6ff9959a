/** The strowger command, run as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runSipp } from '../helpers/sipp.js';

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

/** The banner's SIP port ("server 127.0.0.1 port N"). */
function bannerPort(banner: string): number {
  const m = /server 127\.0\.0\.1 port (\d+) \(UDP or TCP\)/.exec(banner);
  if (!m) throw new Error(`no port in the banner:\n${banner}`);
  return Number(m[1]);
}

async function waitForBanner(c: ReturnType<typeof start>): Promise<string> {
  await new Promise<void>((res, rej) => {
    const check = () => {
      if (c.out().includes('SIGTERM or Ctrl-C drains and stops.\n')) res();
    };
    check();
    c.stdout?.on('data', check);
    c.on('exit', () => rej(new Error(`exited early: ${c.err()}`)));
  });
  return c.out();
}

const SDP = [
  'v=0',
  'o=sipp 1 1 IN IP4 [local_ip]',
  's=-',
  'c=IN IP4 [media_ip]',
  't=0 0',
  'm=audio [media_port] RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\n');

/**
 * A demo user registers (401 + digest) and calls `target` (407 + digest; SIPp puts the
 * switch's address in the digest uri, so the Request-URI is the switch and the number is
 * in To), stays `holdMs`, and hangs up.
 */
function demoCallXml(target: string, holdMs: number): string {
  const hdr = (cseq: string) =>
    [
      'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
      'From: <sip:1001@127.0.0.1>;tag=[pid]SIPpTag00[call_number]',
      `To: <sip:${cseq.endsWith('REGISTER') ? '1001' : target}@127.0.0.1>`,
      'Call-ID: [call_id]',
      `CSeq: ${cseq}`,
      'Contact: <sip:1001@[local_ip]:[local_port]>',
      'Max-Forwards: 70',
    ].join('\n');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="demo call">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
${hdr('1 REGISTER')}
Expires: 300
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
${hdr('2 REGISTER')}
[authentication username=1001 password=demo1001]
Expires: 300
Content-Length: 0

]]></send>
  <recv response="200"/>
  <send retrans="500" start_txn="i1"><![CDATA[
INVITE sip:[remote_ip]:[remote_port] SIP/2.0
${hdr('3 INVITE')}
Content-Type: application/sdp
Content-Length: [len]

${SDP}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true" response_txn="i1"/>
  <send ack_txn="i1"><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
${hdr('3 ACK')}
Content-Length: 0

]]></send>
  <send retrans="500" start_txn="i2"><![CDATA[
INVITE sip:[remote_ip]:[remote_port] SIP/2.0
${hdr('4 INVITE')}
[authentication username=1001 password=demo1001]
Content-Type: application/sdp
Content-Length: [len]

${SDP}
]]></send>
  <recv response="100" optional="true" response_txn="i2"/>
  <recv response="200" rrs="true" response_txn="i2">
    <action><ereg regexp=";tag=([^;>]*)" search_in="hdr" header="To:" assign_to="junk,totag"/></action>
  </recv>
  <send ack_txn="i2"><![CDATA[
ACK [next_url] SIP/2.0
${hdr('4 ACK').replace(`<sip:${target}@127.0.0.1>`, `<sip:${target}@127.0.0.1>;tag=[$totag]`)}
Content-Length: 0

]]></send>
  <pause milliseconds="${holdMs}"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
${hdr('5 BYE').replace(`<sip:${target}@127.0.0.1>`, `<sip:${target}@127.0.0.1>;tag=[$totag]`)}
Content-Length: 0

]]></send>
  <recv response="200"/>
  <Reference variables="junk"/>
</scenario>`;
}

/** An INVITE without credentials that expects `status` (503 while draining). */
function refusedXml(status: number): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="refused">
  <send retrans="500"><![CDATA[
INVITE sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1002@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:9196@127.0.0.1>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:1002@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${SDP}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="${status}"/>
  <send><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2]
From: <sip:1002@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:9196@127.0.0.1>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>`;
}

let sippPorts = 22000 + Math.floor(Math.random() * 8000);

describe('strowger (running)', () => {
  it('npm start runs the demo: banner, a demo user registers and calls the echo test, SIGTERM exits 0', async () => {
    const dataDir = join(tmp, 'npm-start');
    // `npm start` with the flags a newcomer could add; port 0 keeps parallel test runs apart
    const child = spawn('npm', ['start', '--silent', '--', '--sip-port', '0', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
      detached: true, // its own process group, so nothing outlives the test
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
    const c = Object.assign(child, { out: () => out, err: () => err, done });
    const banner = await waitForBanner(c);
    expect(banner).toContain('Strowger 0.1.0 — demo switch');
    expect(banner).toContain('WebSocket ws://127.0.0.1:5066/');
    for (let i = 1; i <= 10; i++) expect(banner).toContain(`${1000 + i}     demo${1000 + i}`);
    expect(banner).toContain('9196     echo test');
    expect(banner).toContain(`data           ${join(dataDir, 'strowger.db')}`);
    const port = bannerPort(banner);
    const call = await runSipp({
      scenario: { xml: demoCallXml('9196', 500) },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 15,
      extraArgs: ['-mi', '127.0.0.1', '-mp', String(sippPorts++ + 2000)],
    });
    expect(call.successful, `${call.stderr}\n${call.stdout.slice(0, 2500)}`).toBe(1);
    // SIGTERM to the switch (npm itself dies on SIGTERM without passing it on): it drains,
    // exits 0, and so does npm start
    const started = JSON.parse(err.split('\n').find((l) => l.includes('"strowger started"')) ?? '{}');
    try {
      process.kill(started.pid, 'SIGTERM');
      const { code, signal } = await done;
      expect([code, signal]).toEqual([0, null]);
    } finally {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone
      }
    }
    const logs = err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const msgs = logs.map((l) => l.msg);
    expect(msgs[0]).toBe('strowger started');
    expect(msgs).toContain('call ended');
    expect(msgs.slice(-1)).toEqual(['stopped']);
    expect(logs.find((l) => l.msg === 'call ended')).toMatchObject({
      callee: '9196',
      disposition: 'answered',
    });
  });

  it('SIGTERM drains: a new call gets 503, the call up finishes, then the process exits 0', async () => {
    const dataDir = join(tmp, 'data');
    const c = start(['--config', DEMO, '--data-dir', dataDir, '--sip-port', '0', '--log-level', 'info']);
    const port = bannerPort(await waitForBanner(c));
    expect(existsSync(join(dataDir, 'strowger.db'))).toBe(true);
    const up = runSipp({
      scenario: { xml: demoCallXml('9196', 3000) },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 20,
    });
    // once the call is up, SIGTERM
    await new Promise<void>((res) => {
      const check = () => {
        if (c.err().includes('"msg":"call"')) res();
      };
      check();
      c.stderr?.on('data', check);
    });
    await new Promise((r) => setTimeout(r, 300));
    c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = await runSipp({
      scenario: { xml: refusedXml(503) },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 10,
    });
    expect(refused.successful, refused.stdout.slice(0, 2500)).toBe(1);
    expect(c.exitCode).toBeNull(); // still draining: the first call is up
    const first = await up;
    expect(first.successful, first.stdout.slice(0, 2500)).toBe(1);
    const { code, signal } = await c.done;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    const logs = c
      .err()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const msgs = logs.map((l) => l.msg);
    expect(msgs.indexOf('stopping')).toBeLessThan(msgs.indexOf('call ended'));
    expect(msgs.slice(-1)).toEqual(['stopped']);
    expect(logs.find((l) => l.msg === 'stopping')).toMatchObject({
      level: 'info',
      signal: 'SIGTERM',
      calls: 1,
    });
  });
});
