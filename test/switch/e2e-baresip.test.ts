/**
 * A real softphone on loopback: two baresip instances (installed by ensureTool when
 * missing) register as 1001 and 1002 with the switch started from a YAML configuration;
 * 1001 calls 1002, which answers automatically. Each plays a sine tone of its own
 * frequency (ausine: 1001 at 440 Hz, 1002 at 1000 Hz) and dumps what it decodes (the
 * sndfile module): G.711 flows both ways through the switch's anchored media — the
 * switch's RTP counters show it, and each phone hears the other's tone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/codecs/index.js';
import type { Call } from '../../src/switch/index.js';
import { ensureTool } from '../helpers/tools.js';
import { type RealSwitch, realSwitch, until } from './real.js';

const MODULES = '/usr/lib/baresip/modules';
const children: ChildProcess[] = [];
let s: RealSwitch;

beforeAll(async () => {
  s = await realSwitch();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await s?.close();
});

/** Power of `freq` in `x` (Goertzel), per sample². */
function power(x: Int16Array, rate: number, freq: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let a = 0;
  let b = 0;
  for (let i = 0; i < x.length; i++) {
    const c = (x[i] as number) + k * a - b;
    b = a;
    a = c;
  }
  return (a * a + b * b - k * a * b) / x.length / x.length;
}

function baresip(
  extension: string,
  toneHz: number,
  sipPort: number,
  extra: string[] = [],
): ChildProcess & { dir: string; log: () => string } {
  const bin = ensureTool('baresip', 'baresip');
  const dir = join(s.dir, `baresip-${extension}`);
  mkdirSync(dir, { recursive: true });
  const n = Number(extension) - 1000;
  const rtpBase = 24000 + 20 * n + 200 * Math.floor(Math.random() * 40);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      `audio_source ausine,${toneHz}`,
      'audio_player aufile,/dev/null',
      'audio_alert aufile,/dev/null',
      'ausrc_srate 48000',
      'ausrc_channels 2',
      `rtp_ports ${rtpBase}-${rtpBase + 9}`,
      `module_path ${MODULES}`,
      'module g711.so',
      'module ausine.so',
      'module aufile.so',
      'module sndfile.so',
      `snd_path ${dir}`,
      'module_app account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
  const answer = extension === '1002' ? ';answermode=auto' : '';
  writeFileSync(
    join(dir, 'accounts'),
    `<sip:${extension}@127.0.0.1:${s.port}>;auth_pass=demo${extension};regint=300${answer}\n`,
  );
  const child = spawn(bin, ['-f', dir, ...extra], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  children.push(child);
  return Object.assign(child, { dir, log: () => log });
}

function decoded(dir: string): Int16Array {
  const file = readdirSync(dir).find((f) => f.endsWith('-dec.wav'));
  if (!file) throw new Error(`no decode dump in ${dir}`);
  return decodeWav(readFileSync(join(dir, file)), { sampleRate: 8000, channels: 1 }).samples;
}

describe('baresip through the switch', () => {
  it('1001 calls 1002: both register, G.711 flows both ways, each hears the other tone, a CDR is written', async () => {
    const base = 26000 + 10 * Math.floor(Math.random() * 300);
    const b = baresip('1002', 1000, base + 2);
    await until(
      async () => (await s.sw.contacts('1002')).length === 1,
      15_000,
      `1002 to register:\n${b.log()}`,
    );
    const answered = new Promise<Call>((resolve) => s.sw.once('answered', resolve));
    const a = baresip('1001', 440, base, ['-e', '/dial 1002']);
    const call = await Promise.race([
      answered,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer:\n${a.log()}\n---\n${b.log()}`)), 20_000),
      ),
    ]);
    expect((await s.sw.contacts('1001')).length).toBe(1);
    expect(call.caller.number).toBe('1001');
    expect(call.callee.number).toBe('1002');
    expect(call.media?.kind).toBe('relay');
    const caller = call.callerLeg.endpoint;
    const callee = call.calleeLeg?.endpoint;
    // two seconds of audio each way through the switch
    await until(
      async () => {
        const [x, y] = await Promise.all([caller?.getStats(), callee?.getStats()]);
        return (x?.packetsReceived ?? 0) >= 100 && (y?.packetsReceived ?? 0) >= 100;
      },
      15_000,
      'RTP both ways',
    );
    const [x, y] = await Promise.all([caller?.getStats(), callee?.getStats()]);
    // what one side received went out to the other
    expect(y?.packetsSent).toBeGreaterThanOrEqual(90);
    expect(x?.packetsSent).toBeGreaterThanOrEqual(90);
    expect(x?.source?.address).toBe('127.0.0.1');
    expect(call.callerLeg.codec?.encodingName).toMatch(/^PCM[UA]$/);
    const ended = call.ended;
    await call.hangup();
    const info = await ended;
    expect(info.cdr).toMatchObject({
      disposition: 'answered',
      caller: { number: '1001' },
      callee: { number: '1002' },
    });
    await until(
      () => a.log().includes('terminated') || a.log().includes('closed'),
      10_000,
      '1001 to hang up',
    );
    for (const c of [a, b]) c.kill('SIGTERM');
    await Promise.all(
      [a, b].map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))),
    );
    // each phone decoded the other phone's tone
    const heardBy1001 = decoded(a.dir);
    const heardBy1002 = decoded(b.dir);
    const middle = (x: Int16Array) => x.subarray(Math.floor(x.length / 3), Math.floor(x.length / 3) + 8000);
    const at1001 = middle(heardBy1001);
    const at1002 = middle(heardBy1002);
    expect(power(at1001, 8000, 1000)).toBeGreaterThan(20 * power(at1001, 8000, 440));
    expect(power(at1002, 8000, 440)).toBeGreaterThan(20 * power(at1002, 8000, 1000));
    expect(power(at1001, 8000, 1000)).toBeGreaterThan(1000); // a tone, not silence
  }, 60_000);
});
