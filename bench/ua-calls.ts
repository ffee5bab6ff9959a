/**
 * Calls per second a UserAgent answers over UDP on loopback: SIPp's built-in
 * `uac` (INVITE with SDP, 200, ACK, BYE, 200) drives the load; the callee is
 * either our UserAgent (this process: answer with SDP from capabilities, full
 * offer/answer, dialog, session timers off) or SIPp's built-in `uas` — the
 * peer, a C++ state machine that parses only what its scenario needs. Rounds
 * alternate after one warm-up round; the figure is completed calls per
 * wall-clock second (median), and ours also per CPU-second of this process.
 * The generator offers 3000 calls/s with 300 in flight (above that SIPp
 * uas itself starts dropping datagrams on this machine and its rounds
 * collapse into retransmission timeouts); the peer usually keeps up with
 * it, so the ratio says how close we come to the offered load.
 */

import { createUdpTransport, createUserAgent } from '../src/sip/index.js';
import { runSipp } from '../test/helpers/sipp.js';
import { cpuMs, median, printResult } from './lib/stats.js';

const CALLS = 4000;
const RATE = 3000;
const LIMIT = 300;
const ROUNDS = 3;

let port = 25000 + Math.floor(Math.random() * 10000);

async function ours(): Promise<{ cps: number; cpuCps: number; ok: number }> {
  const udp = await createUdpTransport({ address: '127.0.0.1', port: 0, receiveBufferSize: 4 << 20 });
  const ua = createUserAgent({
    transports: [udp],
    sessionTimers: false,
    tryingDelay: Number.POSITIVE_INFINITY,
    media: {
      address: '127.0.0.1',
      media: [{ port: 30000, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
    },
  });
  ua.on('INVITE', (s) => s.answer());
  const c0 = cpuMs();
  const t0 = performance.now();
  const r = await runSipp({
    scenario: 'uac',
    remote: `127.0.0.1:${udp.local.port}`,
    localPort: port++,
    calls: CALLS,
    rate: RATE,
    limit: LIMIT,
    timeoutSec: 120,
    extraArgs: ['-d', '0'],
  });
  const wall = performance.now() - t0;
  const cpu = cpuMs() - c0;
  await ua.close({ timeoutMs: 100 });
  return { cps: (r.successful / wall) * 1000, cpuCps: (r.successful / cpu) * 1000, ok: r.successful };
}

async function sippUas(): Promise<{ cps: number; ok: number }> {
  const uasPort = port++;
  const server = runSipp({ scenario: 'uas', localPort: uasPort, calls: CALLS, timeoutSec: 120 });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const r = await runSipp({
    scenario: 'uac',
    remote: `127.0.0.1:${uasPort}`,
    localPort: port++,
    calls: CALLS,
    rate: RATE,
    limit: LIMIT,
    timeoutSec: 120,
    extraArgs: ['-d', '0'],
  });
  const wall = performance.now() - t0;
  await server;
  return { cps: (r.successful / wall) * 1000, ok: r.successful };
}

await ours(); // warm-up (JIT), not counted
const a: number[] = [];
const aCpu: number[] = [];
const b: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const x = await ours();
  const y = await sippUas();
  process.stdout.write(
    `round ${i + 1}: strowger ${x.cps.toFixed(0)} calls/s wall, ${x.cpuCps.toFixed(0)} calls/CPU-s (${x.ok}/${CALLS} ok); SIPp uas ${y.cps.toFixed(0)} calls/s (${y.ok}/${CALLS} ok)\n`,
  );
  a.push(x.cps);
  aCpu.push(x.cpuCps);
  b.push(y.cps);
}
const ma = median(a);
const mb = median(b);
process.stdout.write(
  `strowger UserAgent: ${ma.toFixed(0)} calls/s (wall), ${median(aCpu).toFixed(0)} calls per CPU-second\nSIPp uas:           ${mb.toFixed(0)} calls/s (wall)\n`,
);
printResult({
  name: 'ua-calls',
  value: Math.round(ma),
  unit: 'calls/s',
  peer: 'SIPp built-in uas',
  peerValue: Math.round(mb),
  ratio: Number((ma / mb).toFixed(3)),
  cpuCallsPerSecond: Math.round(median(aCpu)),
});
