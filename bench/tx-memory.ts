/**
 * Memory a completed server transaction keeps while it absorbs retransmissions
 * (non-INVITE Completed: Timer J, 64·T1 = 32 s over UDP; INVITE Completed:
 * Timer H, 32 s): N requests come in over the in-memory LoopNetwork, the TU
 * answers each at once, and the heap (V8 heap + array buffers, after a full
 * GC) is read with every transaction Completed and again once their timers
 * have run out. The difference divided by N is what one completed transaction
 * retains. Everything runs on a FakeClock: the figures do not depend on the
 * machine's speed, only on what is reachable.
 *
 * Peer, measured in the same run: the same layer while the TU keeps the
 * parsed request and the response object of every transaction alive until the
 * end — which is what the transaction itself held before it compacted
 * its Completed state (the figure for the layer as it was).
 *
 * `npm run bench -- tx-memory` (the runner passes --expose-gc).
 */
import { FakeClock, seededRandom } from '../src/core/index.js';
import {
  createResponse,
  LoopNetwork,
  type SipRequest,
  type SipResponse,
  TransactionLayer,
  TransportLayer,
} from '../src/sip/index.js';
import { median, printResult } from './lib/stats.js';

const N = 10_000;
const ROUNDS = 3;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench -- tx-memory does)');

/** Lets promise callbacks (send completions) run, so that nothing waits in the microtask queue. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function heap(): Promise<number> {
  await settle();
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const SDP = [
  'v=0',
  'o=gen 1 1 IN IP4 10.0.0.1',
  's=-',
  'c=IN IP4 10.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n');

function request(method: 'OPTIONS' | 'INVITE', run: number, i: number): Uint8Array {
  const body = method === 'INVITE' ? SDP : '';
  return Buffer.from(
    [
      `${method} sip:bench@10.0.0.2:5060 SIP/2.0`,
      `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK${run}x${i};rport`,
      'Max-Forwards: 70',
      `From: "Load Generator" <sip:gen@10.0.0.1>;tag=g${run}x${i}`,
      'To: <sip:bench@10.0.0.2>',
      `Call-ID: ${run}-${i}@bench.example.com`,
      `CSeq: 1 ${method}`,
      'Contact: <sip:gen@10.0.0.1:5060>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS',
      'Supported: replaces, timer',
      'User-Agent: strowger-bench',
      ...(method === 'INVITE' ? ['Content-Type: application/sdp'] : ['Accept: application/sdp']),
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n'),
  );
}

interface Scenario {
  method: 'OPTIONS' | 'INVITE';
  status: number;
}

/** Bytes retained per completed transaction; `keep` makes the TU hold the request and response. */
async function measure(s: Scenario, run: number, keep: boolean): Promise<number> {
  const clock = new FakeClock();
  const net = new LoopNetwork({ clock, latencyMs: 1 });
  const gen = net.createTransport({ address: '10.0.0.1', port: 5060 });
  const tl = new TransportLayer({
    transports: [net.createTransport({ address: '10.0.0.2', port: 5060 })],
    clock,
  });
  const layer = new TransactionLayer({ transport: tl, clock, random: seededRandom(run) });
  const kept: Array<SipRequest | SipResponse> = [];
  let tags = 0;
  layer.on('request', (tx) => {
    const res = createResponse(tx.request, s.status, { toTag: `s${++tags}` });
    if (keep) kept.push(tx.request, res);
    tx.respond(res);
  });
  const server = { address: '10.0.0.2', port: 5060 };
  const send = async (count: number, r: number) => {
    for (let i = 0; i < count; i++) {
      void gen.send(request(s.method, r, i), server);
      if ((i & 63) === 63) {
        clock.advance(2);
        net.log.length = 0;
        await settle();
      }
    }
    clock.advance(2);
    net.log.length = 0;
  };
  const runOut = async () => {
    // Timer J / H (and G's retransmissions): every transaction terminates
    for (let t = 0; t < 64 * 500 + 1000; t += 500) {
      clock.advance(500);
      net.log.length = 0;
      await settle();
    }
    kept.length = 0;
    if (layer.serverCount !== 0) throw new Error(`${layer.serverCount} transactions still alive`);
  };
  // warm-up with the same count: every code path, cache and table capacity the measured round uses
  await send(N, run * 1000);
  await runOut();
  const base = await heap();
  await send(N, run * 1000 + 1);
  if (layer.serverCount !== N) throw new Error(`expected ${N} live transactions, got ${layer.serverCount}`);
  const held = (await heap()) - base;
  await runOut();
  const after = (await heap()) - base;
  layer.close();
  residual = Math.max(residual, Math.abs(after) / N);
  return held / N;
}

/** Largest |heap after every transaction ended − base| / N seen: the noise floor of the figures. */
let residual = 0;

const scenarios: Scenario[] = [
  { method: 'OPTIONS', status: 200 },
  { method: 'INVITE', status: 486 },
];
const rows: Array<{ name: string; ours: number; peer: number }> = [];
for (const s of scenarios) {
  const ours: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(await measure(s, 2 * r + 1, false));
    peer.push(await measure(s, 2 * r + 2, true));
  }
  rows.push({ name: `${s.method} → ${s.status}`, ours: median(ours), peer: median(peer) });
}
const fmt = (x: number) => Math.round(x).toLocaleString('en').padStart(7);
process.stdout.write(
  [
    `bytes retained per completed server transaction (UDP, N = ${N}, median of ${ROUNDS}; V8 heap + array buffers after GC):`,
    '  scenario          layer alone   TU keeps request+response',
    ...rows.map((r) => `  ${r.name.padEnd(16)} ${fmt(r.ours)} B     ${fmt(r.peer)} B`),
    `  (once every transaction had terminated the heap was back within ${Math.round(residual)} B per transaction of where it started)`,
    '',
  ].join('\n'),
);
const first = rows[0] as { ours: number; peer: number };
const second = rows[1] as { ours: number; peer: number };
printResult({
  name: 'tx-memory',
  value: Math.round(first.ours),
  unit: 'bytes retained per completed OPTIONS server transaction (lower is better)',
  peer: 'same layer, TU keeps the parsed request and response',
  peerValue: Math.round(first.peer),
  ratio: Number((first.ours / first.peer).toFixed(2)),
  invite486: Math.round(second.ours),
  invite486Peer: Math.round(second.peer),
  residualPerTx: Math.round(residual),
});
