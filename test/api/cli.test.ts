/** The strowger command, run as a child process. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../src/switch/index.js';
import { runSipp } from '../helpers/sipp.js';

const root = resolve(__dirname, '..', '..');
const MAIN = join(root, 'src', 'api', 'cli', 'main.ts');
const DEMO = join(root, 'examples', 'switch', 'demo.yaml');
// The children run in a temporary directory, so name tsx's loader by its full path.
const TSX = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
const tmp = mkdtempSync(join(tmpdir(), 'strowger-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  // a failed test may leave its switch running
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function start(
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & {
  out: () => string;
  err: () => string;
  done: Promise<{ code: number | null; signal: string | null }>;
} {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
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
 * A user (default the demo's 1001) registers (401 + digest) and calls `target` (407 + digest; SIPp puts the
 * switch's address in the digest uri, so the Request-URI is the switch and the number is
 * in To), stays `holdMs`, and hangs up.
 */
function demoCallXml(target: string, holdMs: number, user = '1001', password = `demo${user}`): string {
  const hdr = (cseq: string) =>
    [
      'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
      `From: <sip:${user}@127.0.0.1>;tag=[pid]SIPpTag00[call_number]`,
      `To: <sip:${cseq.endsWith('REGISTER') ? user : target}@127.0.0.1>`,
      'Call-ID: [call_id]',
      `CSeq: ${cseq}`,
      `Contact: <sip:${user}@[local_ip]:[local_port]>`,
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
[authentication username=${user} password=${password}]
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
[authentication username=${user} password=${password}]
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

/** An INVITE without credentials that expects `status` (503 while draining, which must carry Retry-After). */
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
  <recv response="${status}">${
    status === 503
      ? `
    <action><ereg regexp="[1-9][0-9]*" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/></action>
  `
      : ''
  }</recv>
  <send><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2]
From: <sip:1002@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:9196@127.0.0.1>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>${status === 503 ? '\n  <Reference variables="retry"/>' : ''}
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

/** Resolves once `text` appears on the child's stderr (its JSON logs). */
function waitForLog(c: ReturnType<typeof start>, text: string, timeoutMs = 20_000): Promise<void> {
  return new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no ${text} in the logs:\n${c.err()}`)), timeoutMs);
    const check = () => {
      if (c.err().includes(text)) {
        clearTimeout(timer);
        res();
      }
    };
    check();
    c.stderr?.on('data', check);
  });
}

/** A small configuration of our own: UDP+TCP on 127.0.0.1, one media worker, echo on 9196. */
function configFile(name: string, lines: string[], sipPort = 0): string {
  const rtp = 20000 + 200 * Math.floor(Math.random() * 45);
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'sip:',
      '  transports:',
      `    - { type: udp, address: 127.0.0.1, port: ${sipPort} }`,
      `    - { type: tcp, address: 127.0.0.1, port: ${sipPort} }`,
      'media:',
      '  address: 127.0.0.1',
      `  rtpPorts: { min: ${rtp}, max: ${rtp + 199} }`,
      '  workers: 1',
      'applications:',
      '  - { name: echo, type: echo }',
      ...lines,
      '',
    ].join('\n'),
  );
  return file;
}

async function cdrsIn(dataDir: string) {
  const storage = await createSqliteStorage({ dataDir });
  try {
    return (await storage.cdrs.query({ order: 'asc' })).items;
  } finally {
    await storage.close();
  }
}

describe('strowger (running): flags, secrets, reload, durability', () => {
  it('--bind, --sip-port, --data-dir and --log-level win over the file; a password comes from the environment', async () => {
    const file = configFile(
      'flags',
      [
        'users:',
        '  - { extension: 1001, password: { env: STROWGER_TEST_PASSWORD } }',
        'routes:',
        '  - { exact: 9196, application: echo }',
        'storage: { dataDir: ./from-the-file }',
        'logging: { level: info }',
      ],
      5999,
    );
    const dataDir = join(tmp, 'from-the-flag');
    const flags = ['--bind', '127.0.0.2', '--sip-port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
    // without STROWGER_TEST_PASSWORD the configuration is refused, naming the field and the variable
    const refused = await run(['--config', file, ...flags]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'users[0].password: environment variable STROWGER_TEST_PASSWORD is not set',
    );
    const ok = start(['--config', file, ...flags], { STROWGER_TEST_PASSWORD: 's3cret-from-env' });
    const text = await waitForBanner(ok);
    const m = /server 127\.0\.0\.2 port (\d+) \(UDP or TCP\), domain 127\.0\.0\.2/.exec(text);
    expect(m, text).not.toBeNull();
    const port = Number(m?.[1]);
    expect(port).not.toBe(5999); // --sip-port 0: a free port, not the file's
    expect(text).toContain(`data           ${join(dataDir, 'strowger.db')}`);
    expect(existsSync(join(dataDir, 'strowger.db'))).toBe(true);
    expect(existsSync(join(tmp, 'from-the-file'))).toBe(false);
    // the switch listens on 127.0.0.2 only, and takes the password from the environment
    const call = await runSipp({
      scenario: { xml: demoCallXml('9196', 200, '1001', 's3cret-from-env') },
      remote: `127.0.0.2:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 15,
    });
    expect(call.successful, call.stdout.slice(0, 2500)).toBe(1);
    const wrong = await runSipp({
      scenario: { xml: demoCallXml('9196', 200, '1001', 'demo1001') },
      remote: `127.0.0.2:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 5,
    });
    expect(wrong.successful).toBe(0);
    ok.kill('SIGTERM');
    expect(await ok.done).toEqual({ code: 0, signal: null });
    // --log-level warn: the info lines (started, call, stopped) are gone, the warnings stay
    const logs = ok
      .err()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(logs.length).toBeGreaterThan(0); // the wrong password is logged for fail2ban
    expect(logs.every((l) => l.level === 'warn' || l.level === 'error')).toBe(true);
    expect(logs.some((l) => l.event === 'auth_failure' && l.src_ip === '127.0.0.1')).toBe(true);
    // the media was anchored on the --bind address
    const [cdr] = await cdrsIn(dataDir);
    expect(cdr).toMatchObject({ callee: { number: '9196' }, disposition: 'answered' });
    expect(String((cdr?.legs[0] as { media?: string } | undefined)?.media)).toMatch(/^127\.0\.0\.2:\d+$/);
  });

  it('hot reload: a user and a route added to the file work at once; the call up survives', async () => {
    const head = [
      'users:',
      '  - { extension: 1001, password: demo1001 }',
      'routes:',
      '  - { exact: 9196, application: echo }',
      'logging: { level: info }',
      'drain: { timeoutMs: 30s }',
    ];
    const file = configFile('reload', head);
    const dataDir = join(tmp, 'reload-data');
    const c = start(['--config', file, '--data-dir', dataDir, '--sip-port', '0'], {
      STROWGER_TEST_1011: 'pw-of-1011',
    });
    const port = bannerPort(await waitForBanner(c));
    const up = runSipp({
      scenario: { xml: demoCallXml('9196', 4000) },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 20,
    });
    await waitForLog(c, '"msg":"call"');
    // the edit: a user with its password in the environment, and a route to the echo
    const text = readFileSync(file, 'utf8')
      .replace(
        '  - { extension: 1001, password: demo1001 }',
        '  - { extension: 1001, password: demo1001 }\n  - { extension: 1011, password: { env: STROWGER_TEST_1011 } }',
      )
      .replace(
        '  - { exact: 9196, application: echo }',
        '  - { exact: 9196, application: echo }\n  - { exact: 7777, application: echo }',
      )
      .replace('drain: { timeoutMs: 30s }', 'drain: { timeoutMs: 45s }');
    writeFileSync(file, text);
    await waitForLog(c, '"msg":"configuration reloaded"');
    const added = await runSipp({
      scenario: { xml: demoCallXml('7777', 200, '1011', 'pw-of-1011') },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 15,
    });
    expect(added.successful, added.stdout.slice(0, 2500)).toBe(1);
    const first = await up;
    expect(first.successful, first.stdout.slice(0, 2500)).toBe(1); // its BYE got its 200
    c.kill('SIGTERM');
    expect(await c.done).toEqual({ code: 0, signal: null });
    const reloaded = c
      .err()
      .split('\n')
      .filter((l) => l.includes('"configuration reloaded"'))
      .map((l) => JSON.parse(l));
    expect(reloaded).toHaveLength(1);
    expect(reloaded[0]).toMatchObject({ users: 1, routesChanged: true });
    // the drain time in force is the reloaded one
    expect(c.err()).toMatch(/"signal":"SIGTERM","calls":0,"drainMs":45000,"msg":"stopping"/);
    const cdrs = await cdrsIn(dataDir);
    expect(cdrs.map((r) => [r.caller.number, r.callee.number, r.disposition, r.hangup.by])).toEqual([
      ['1001', '9196', 'answered', 'caller'],
      ['1011', '7777', 'answered', 'caller'],
    ]);
    // the first call was up across the reload
    const reloadAt = Date.parse(reloaded[0].time);
    expect(cdrs[0]?.startedAt).toBeLessThan(reloadAt);
    expect(cdrs[0]?.endedAt).toBeGreaterThan(reloadAt);
  });

  it('a CDR is on disk once the BYE is answered: SIGKILL right after, and a new process finds it in the WAL database', async () => {
    const dataDir = join(tmp, 'durable');
    const c = start(['--config', DEMO, '--data-dir', dataDir, '--sip-port', '0']);
    const port = bannerPort(await waitForBanner(c));
    const call = runSipp({
      scenario: { xml: demoCallXml('9196', 300) },
      remote: `127.0.0.1:${port}`,
      localPort: sippPorts++,
      calls: 1,
      timeoutSec: 15,
    });
    // write, then acknowledge: the 200 to SIPp's BYE goes out once the CDR is written, so
    // SIPp completing its call is the moment a crash may no longer lose the CDR
    expect((await call).successful).toBe(1);
    c.kill('SIGKILL');
    expect(await c.done).toEqual({ code: null, signal: 'SIGKILL' });
    // not checkpointed: the row is in the write-ahead log, which the next open replays
    const db = join(dataDir, 'strowger.db');
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0);
    const cdrs = await cdrsIn(dataDir);
    expect(cdrs).toHaveLength(1);
    expect(cdrs[0]).toMatchObject({
      caller: { number: '1001' },
      callee: { number: '9196' },
      disposition: 'answered',
      hangup: { by: 'caller' },
    });
    expect(cdrs[0]?.talkMs).toBeGreaterThan(0);
    expect(cdrs[0]?.legs).toHaveLength(1);
    const check = new Database(db, { readonly: true });
    try {
      expect((check.pragma('journal_mode') as { journal_mode: string }[])[0]?.journal_mode).toBe('wal');
    } finally {
      check.close();
    }
  });
});

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** `npm ci` builds dist/ (prepare); rebuild it when the sources are newer. */
function ensureBuilt(): void {
  const cli = join(root, 'dist', 'cli.js');
  const built = existsSync(cli) ? statSync(cli).mtimeMs : 0;
  if (built < Math.max(newest(join(root, 'src')), statSync(join(root, 'tsup.config.ts')).mtimeMs)) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore', timeout: 240_000 });
  }
}

describe('npx strowger (the built package)', () => {
  it('runs the demo from dist/: banner, a call to the echo test through dist/media-worker.js, SIGTERM exits 0', async () => {
    ensureBuilt();
    const dataDir = join(tmp, 'npx');
    const child = spawn('npx', ['--no-install', 'strowger', '--sip-port', '0', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
      detached: true,
    });
    children.push(child);
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
    try {
      const banner = await waitForBanner(c);
      expect(banner).toContain('Strowger 0.1.0 — demo switch');
      expect(banner).toContain('configuration  examples/switch/demo.yaml');
      const started = JSON.parse(err.split('\n').find((l) => l.includes('"strowger started"')) ?? '{}');
      expect(started.config).toBe(DEMO);
      const call = await runSipp({
        scenario: { xml: demoCallXml('9196', 300) },
        remote: `127.0.0.1:${bannerPort(banner)}`,
        localPort: sippPorts++,
        calls: 1,
        timeoutSec: 15,
      });
      expect(call.successful, call.stdout.slice(0, 2500)).toBe(1);
      process.kill(started.pid, 'SIGTERM');
      expect(await done).toEqual({ code: 0, signal: null });
      expect(err).toContain('"msg":"stopped"');
      const [cdr] = await cdrsIn(dataDir);
      expect(cdr).toMatchObject({ callee: { number: '9196' }, disposition: 'answered' });
    } finally {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone
      }
    }
  }, 300_000);

  it('the package ships what it runs: the bin, dist/cli.js, the media worker, the demo configuration and the prompts', () => {
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as [{ files: { path: string }[] }];
    const files = new Set(pack.files.map((f) => f.path));
    for (const f of [
      'bin/strowger.mjs',
      'dist/cli.js',
      'dist/media-worker.js',
      'examples/switch/demo.yaml',
      'assets/prompts/en/welcome.wav',
    ])
      expect(files, f).toContain(f);
  });

  it('the bundled demo (no --config) keeps its data in the working directory, not beside the file', {
    timeout: 300_000,
  }, async () => {
    ensureBuilt();
    const cwd = join(tmp, 'somewhere');
    mkdirSync(cwd);
    // run as a shell runs it: through the bin's shebang (node with its V8 flags)
    const child = spawn(join(root, 'bin', 'strowger.mjs'), ['--sip-port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    children.push(child);
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
    const banner = await waitForBanner(Object.assign(child, { out: () => out, err: () => err, done }));
    expect(banner).toContain(`data           ${join(cwd, '.strowger', 'data', 'strowger.db')}`);
    expect(existsSync(join(cwd, '.strowger', 'data', 'strowger.db'))).toBe(true);
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).toContain(
      '--max-semi-space-size=64',
    );
    child.kill('SIGTERM');
    expect(await done).toEqual({ code: 0, signal: null });
  });
});
