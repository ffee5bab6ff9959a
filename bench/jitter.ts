/**
 * Jitter buffer benchmark.
 *
 * 1. Playout quality: replays the standard synthetic traces (Gaussian jitter,
 *    delay spikes, bursty loss, reordering, clock drift, talk spurts, 60 ms
 *    packets, a mix) through the adaptive buffer, a fixed 60 ms buffer and the
 *    oracle (the best fixed delay with no more late packets than the adaptive
 *    buffer left unplayed), and prints mean/p95 added delay, late and
 *    unplayed shares and the concealed ratio of each. Target: adaptive mean
 *    delay within 1.2x the oracle's on every trace.
 * 2. Cost: push + pull per packet beside a trivial FIFO (copy in, copy out,
 *    no reordering) measured in the same run, the PCM concealer per frame,
 *    and the bytes both allocate (V8's sampling heap profiler).
 *
 * RESULT value: the worst trace's adaptive/oracle mean-delay ratio.
 */
import { Session } from 'node:inspector';
import { evaluateTrace, JitterBuffer, PcmConcealer, standardTraces } from '../src/media/jitter/index.js';
import { compareRates, printResult } from './lib/stats.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number) => x.toFixed(1);

// ------------------------------------------------------------------ quality
let worst = 0;
let worstTrace = '';
let worstInterpolated = 0;
const rows: string[] = [];
for (const trace of standardTraces()) {
  const e = evaluateTrace(trace);
  process.stdout.write(
    `\n${trace.name}  (${trace.count} packets, ${trace.packetMs} ms, network loss ${pct(e.networkLossRate)})\n`,
  );
  process.stdout.write(
    `  ${'strategy'.padEnd(10)} ${'mean ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'late'.padStart(8)} ${'unplayed'.padStart(9)} ${'dropped'.padStart(8)} ${'concealed'.padStart(10)}\n`,
  );
  for (const r of [e.adaptive, e.fixed, e.oracle]) {
    process.stdout.write(
      `  ${r.name.padEnd(10)} ${ms(r.meanDelayMs).padStart(8)} ${ms(r.p95DelayMs).padStart(8)} ${pct(r.lateRate).padStart(8)} ${pct(r.unplayedRate).padStart(9)} ${String(r.dropped).padStart(8)} ${pct(r.concealedRatio).padStart(10)}\n`,
    );
  }
  const met = e.ratio <= 1.2 ? 'met' : 'NOT met';
  process.stdout.write(
    `  adaptive/oracle mean delay ${e.ratio.toFixed(3)} (${met}); oracle delay ${ms(e.oracle.delayMs)} ms after send; vs time-shared oracle ${e.interpolatedRatio.toFixed(3)}\n`,
  );
  rows.push(
    `| ${trace.name} | ${ms(e.adaptive.meanDelayMs)} / ${ms(e.adaptive.p95DelayMs)} | ${pct(e.adaptive.lateRate)} / ${pct(e.adaptive.unplayedRate)} | ${pct(e.adaptive.concealedRatio)} | ${ms(e.fixed.meanDelayMs)} | ${pct(e.fixed.unplayedRate)} | ${ms(e.oracle.meanDelayMs)} / ${ms(e.oracle.p95DelayMs)} | ${pct(e.oracle.lateRate)} | ${e.ratio.toFixed(2)} | ${e.interpolatedRatio.toFixed(2)} |`,
  );
  if (e.ratio > worst) {
    worst = e.ratio;
    worstTrace = trace.name;
  }
  worstInterpolated = Math.max(worstInterpolated, e.interpolatedRatio);
}
process.stdout.write(
  '\nmarkdown (adaptive mean/p95 ms | late/unplayed | concealed | fixed-60 mean | fixed unplayed | oracle mean/p95 | oracle late | ratio | time-shared ratio):\n',
);
for (const r of rows) process.stdout.write(`${r}\n`);

// ------------------------------------------------------------------ cost
/** A trivial FIFO with the same shape: copies payloads into a preallocated ring and hands them out in arrival order. */
class Fifo {
  readonly #data: Uint8Array;
  readonly #len: Int32Array;
  readonly #cap: number;
  readonly #max: number;
  #head = 0;
  #tail = 0;
  constructor(capacity: number, maxPayload: number) {
    this.#cap = capacity;
    this.#max = maxPayload;
    this.#data = new Uint8Array(capacity * maxPayload);
    this.#len = new Int32Array(capacity);
  }
  push(p: { payload: Uint8Array }): void {
    if (this.#tail - this.#head >= this.#cap) this.#head++;
    const s = this.#tail % this.#cap;
    this.#data.set(p.payload, s * this.#max);
    this.#len[s] = p.payload.length;
    this.#tail++;
  }
  pull(): number {
    if (this.#head === this.#tail) return -1;
    const s = this.#head++ % this.#cap;
    return this.#data[s * this.#max]! + this.#len[s]!;
  }
}

const N = 4096;
const jitter = new Float64Array(N);
{
  let x = 12345;
  for (let i = 0; i < N; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    jitter[i] = (x / 2 ** 32) * 35; // 0..35 ms: about one packet in four overtakes its predecessor
  }
}
const payload = new Uint8Array(160);
const packet = { seq: 0, timestamp: 0, marker: false, payload, arrivalMs: 0 };
let sink = 0;

function runJitter(jb: JitterBuffer, start: number, n: number): void {
  // arrivals are pushed in arrival order within each 20 ms slot: a small reorder window
  for (let k = start; k < start + n; k++) {
    packet.seq = k & 0xffff;
    packet.timestamp = (k * 160) % 2 ** 32;
    packet.arrivalMs = k * 20 + jitter[k % N]!;
    jb.push(packet);
    const f = jb.pull(k * 20 + 40);
    sink = (sink + f.length) | 0;
  }
}

const jb = new JitterBuffer();
const fifo = new Fifo(64, 640);
let kj = 0;
let kf = 0;
const cost = compareRates(
  (n) => {
    runJitter(jb, kj, n);
    kj += n;
  },
  (n) => {
    for (let k = kf; k < kf + n; k++) {
      packet.seq = k & 0xffff;
      packet.timestamp = (k * 160) % 2 ** 32;
      packet.arrivalMs = k * 20 + jitter[k % N]!;
      fifo.push(packet);
      sink = (sink + fifo.pull()) | 0;
    }
    kf += n;
  },
);
const nsJitter = 1e9 / cost.a;
const nsFifo = 1e9 / cost.b;
process.stdout.write(
  `\npush+pull per packet: adaptive jitter buffer ${nsJitter.toFixed(0)} ns, trivial FIFO ${nsFifo.toFixed(0)} ns (x${(nsJitter / nsFifo).toFixed(2)}); at 50 packets/s per stream one core's second covers ${Math.floor(1e9 / nsJitter / 50).toLocaleString('en')} streams\n`,
);
const s = jb.stats();
process.stdout.write(
  `  (bench stream: played ${s.played}, late ${s.late}, concealed ${s.concealed}, target ${s.targetDelayMs.toFixed(1)} ms)\n`,
);

// PCM concealer cost per 20 ms frame
const plc = new PcmConcealer();
const frame = new Int16Array(160);
const tone = new Int16Array(8000 * 4);
for (let i = 0; i < tone.length; i++) {
  tone[i] = Math.round(
    5000 * (Math.sin((2 * Math.PI * 150 * i) / 8000) + 0.5 * Math.sin((2 * Math.PI * 300 * i) / 8000)),
  );
}
let t = 0;
const nextFrame = () => {
  for (let j = 0; j < 160; j++) frame[j] = tone[(t + j) % tone.length]!;
  t += 160;
};
const plcRate = compareRates(
  (n) => {
    for (let i = 0; i < n; i++) {
      nextFrame();
      plc.receive(frame);
    }
  },
  (n) => {
    // one lost frame in four: each loss starts a concealment (pitch search) and a re-entry
    for (let i = 0; i < n; i++) {
      nextFrame();
      if (i % 4 === 3) plc.conceal(frame);
      else plc.receive(frame);
    }
  },
  5,
  150,
);
process.stdout.write(
  `PCM concealer per 20 ms frame: no loss ${(1e6 / plcRate.a).toFixed(2)} µs, 25% loss ${(1e6 / plcRate.b).toFixed(2)} µs\n`,
);
// Allocation: V8's sampling heap profiler, counting objects already collected too
async function allocatedBytes(fn: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  fn();
  const { profile } = (await post('HeapProfiler.stopSampling')) as {
    profile: { head: { selfSize: number; children: unknown[] } };
  };
  session.disconnect();
  let total = 0;
  const walk = (n: { selfSize: number; children: unknown[] }) => {
    total += n.selfSize;
    for (const c of n.children) walk(c as typeof n);
  };
  walk(profile.head);
  return total;
}
const ALLOC_N = 200_000;
const jbBytes = await allocatedBytes(() => {
  runJitter(jb, kj, ALLOC_N);
  kj += ALLOC_N;
});
const plcBytes = await allocatedBytes(() => {
  for (let i = 0; i < ALLOC_N / 10; i++) {
    nextFrame();
    if (i % 4 === 3) plc.conceal(frame);
    else plc.receive(frame);
  }
});
process.stdout.write(
  `allocation (sampled): push+pull ${(jbBytes / ALLOC_N).toFixed(2)} bytes/packet; PCM concealer ${(plcBytes / (ALLOC_N / 10)).toFixed(2)} bytes/frame\n`,
);
if (sink === 42) process.stdout.write('\n');

process.stdout.write(
  `\nworst adaptive/oracle mean-delay ratio: ${worst.toFixed(3)} on ${worstTrace} (target <= 1.2: ${worst <= 1.2 ? 'met on every trace' : 'NOT met'}); vs time-shared oracle: ${worstInterpolated.toFixed(3)}\n`,
);
printResult({
  name: 'jitter-adaptive-vs-oracle',
  value: Number(worst.toFixed(4)),
  unit: 'x oracle mean added delay (worst trace)',
  peer: 'oracle',
  peerValue: 1,
  ratio: Number(worst.toFixed(4)),
  worstTrace,
  worstTimeSharedRatio: Number(worstInterpolated.toFixed(4)),
  pushPullNs: Math.round(nsJitter),
  fifoPushPullNs: Math.round(nsFifo),
  pushPullBytesPerPacket: Number((jbBytes / ALLOC_N).toFixed(2)),
});
