/**
 * Mixer cost: µs of CPU per participant-second, and members one core could
 * mix, for a 200-member conference at 8 kHz / 20 ms where every member sends
 * a frame every tick (no DTX) — 1 talker (and 3 talkers) at about -20 dBFS,
 * the rest line noise at about -60 dBFS.
 *
 * Measured side by side in the same run (interleaved rounds, medians):
 * - `mixer`: the Mixer as shipped (talk gate on: only talkers are summed; a
 *   listener whose mix is the common total gets a copy of it).
 * - `mixer, no gate`: every open microphone summed — the O(N) total-minus-own
 *   path alone.
 * - peer `naive`: the plain loop — for each listener, sum every other
 *   member's frame and saturate (O(N²) per tick).
 * Target: a 200-member conference under 1% of one core (200 µs per 20 ms tick).
 */
import { availableParallelism, loadavg } from 'node:os';
import { Mixer, type MixerInputs } from '../src/media/mixer/index.js';
import { median, printResult } from './lib/stats.js';

const N = 200;
const RATE = 8000;
const FRAME_MS = 20;
const L = (RATE * FRAME_MS) / 1000;
const TICKS_PER_SECOND = 1000 / FRAME_MS;

/** Deterministic inputs: talkers get a tone, everyone else low noise. */
function makeInputs(talkers: number): { ids: string[]; frames: Int16Array[]; map: Map<string, Int16Array> } {
  const ids = Array.from({ length: N }, (_, i) => `m${i}`);
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const frames = ids.map((_, k) => {
    const f = new Int16Array(L);
    for (let i = 0; i < L; i++) {
      f[i] =
        k < talkers
          ? Math.round(3000 * Math.sin((2 * Math.PI * (300 + 150 * k) * i) / RATE))
          : Math.round((rnd() - 0.5) * 60);
    }
    return f;
  });
  return { ids, frames, map: new Map(ids.map((id, k) => [id, frames[k] as Int16Array])) };
}

function makeMixer(ids: string[], gate: boolean): Mixer {
  const m = new Mixer({ sampleRate: RATE, frameMs: FRAME_MS, gate, maxMembers: N });
  for (const id of ids) m.addMember(id);
  return m;
}

/** The peer: every listener sums every other member, sample by sample, and saturates. */
function naiveTick(frames: Int16Array[], outs: Int16Array[]): void {
  const n = frames.length;
  for (let l = 0; l < n; l++) {
    const out = outs[l] as Int16Array;
    for (let i = 0; i < L; i++) {
      let acc = 0;
      for (let s = 0; s < n; s++) if (s !== l) acc += (frames[s] as Int16Array)[i] as number;
      // biome-ignore lint/complexity/useMathMinMax: the saturation as the plain loop writes it
      out[i] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc;
    }
  }
}

/** µs per call of `fn(1)`, measured over about `ms` milliseconds (count calibrated on the fly). */
function usPerOp(fn: (n: number) => void, ms: number): number {
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    fn(n);
    const dt = Number(process.hrtime.bigint() - t0) / 1e3;
    if (dt >= ms * 1000) return dt / n;
    n = Math.ceil(n * Math.min(10, Math.max(2, (ms * 1000 * 1.2) / Math.max(dt, 1))));
  }
}

/** Runs every `fn` once per round, `rounds` times, and returns each one's median µs per op. */
function interleaved(fns: Array<(n: number) => void>, rounds: number, ms: number): number[] {
  for (const fn of fns) usPerOp(fn, 50); // warm up the JIT
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      samples[i]?.push(usPerOp(fn, ms));
    });
  }
  return samples.map((xs) => median(xs));
}

function runScenario(talkers: number) {
  const { ids, frames, map } = makeInputs(talkers);
  const gated = makeMixer(ids, true);
  const open = makeMixer(ids, false);
  const outs = ids.map(() => new Int16Array(L));
  const inputs: MixerInputs = map;
  // sanity: the ungated mixer and the naive loop agree exactly on every listener
  open.mixTick(inputs);
  naiveTick(frames, outs);
  ids.forEach((id, k) => {
    const a = open.output(id);
    const b = outs[k] as Int16Array;
    for (let i = 0; i < L; i++)
      if (a[i] !== b[i]) throw new Error(`mismatch at ${id}[${i}]: ${a[i]} vs ${b[i]}`);
  });
  gated.mixTick(inputs);

  const mix = (m: Mixer) => (n: number) => {
    for (let t = 0; t < n; t++) m.mixTick(inputs);
  };
  const naive = (n: number) => {
    for (let t = 0; t < n; t++) naiveTick(frames, outs);
  };
  // interleaved rounds (a noisy neighbour slows all three alike), median per implementation
  const [mixerTickUs = 0, openTickUs = 0, naiveTickUs = 0] = interleaved(
    [mix(gated), mix(open), naive],
    7,
    150,
  );
  const perParticipantSecond = (tickUs: number) => (tickUs * TICKS_PER_SECOND) / N;
  const r = {
    talkers,
    mixerTickUs,
    openTickUs,
    naiveTickUs,
    mixerUsPerParticipantSecond: perParticipantSecond(mixerTickUs),
    openUsPerParticipantSecond: perParticipantSecond(openTickUs),
    naiveUsPerParticipantSecond: perParticipantSecond(naiveTickUs),
  };
  return {
    ...r,
    mixerPercentOfCore: (r.mixerTickUs * TICKS_PER_SECOND) / 1e4,
    openPercentOfCore: (r.openTickUs * TICKS_PER_SECOND) / 1e4,
    naivePercentOfCore: (r.naiveTickUs * TICKS_PER_SECOND) / 1e4,
    mixerMembersPerCore: 1e6 / r.mixerUsPerParticipantSecond,
    openMembersPerCore: 1e6 / r.openUsPerParticipantSecond,
    naiveMembersPerCore: 1e6 / r.naiveUsPerParticipantSecond,
  };
}

const f = (x: number, d = 2) => x.toFixed(d);
const rows = [runScenario(1), runScenario(3)];
process.stdout.write(
  `mixer: ${N} members, ${RATE} Hz, ${FRAME_MS} ms ticks, every member sends every tick; ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores (wall-clock figures)\n`,
);
process.stdout.write('talkers  impl             µs/tick   µs/participant-s   % of a core   members/core\n');
for (const r of rows) {
  const line = (name: string, tick: number, pps: number, pct: number, mpc: number) =>
    process.stdout.write(
      `${String(r.talkers).padEnd(9)}${name.padEnd(17)}${f(tick, 1).padStart(8)}   ${f(pps, 3).padStart(16)}   ${f(pct, 3).padStart(11)}   ${f(mpc, 0).padStart(12)}\n`,
    );
  line('mixer', r.mixerTickUs, r.mixerUsPerParticipantSecond, r.mixerPercentOfCore, r.mixerMembersPerCore);
  line(
    'mixer, no gate',
    r.openTickUs,
    r.openUsPerParticipantSecond,
    r.openPercentOfCore,
    r.openMembersPerCore,
  );
  line(
    'naive O(N²)',
    r.naiveTickUs,
    r.naiveUsPerParticipantSecond,
    r.naivePercentOfCore,
    r.naiveMembersPerCore,
  );
}
const one = rows[0] as (typeof rows)[number];
const three = rows[1] as (typeof rows)[number];
process.stdout.write(
  `target (200 members < 1% of a core): 1 talker ${f(one.mixerPercentOfCore, 3)}%, 3 talkers ${f(three.mixerPercentOfCore, 3)}%, ` +
    `no gate ${f(one.openPercentOfCore, 3)}% — ${one.mixerPercentOfCore < 1 && three.mixerPercentOfCore < 1 ? 'met' : 'NOT met'}\n`,
);
printResult({
  name: 'mixer-200-members-1-talker',
  value: Number(f(one.mixerUsPerParticipantSecond, 3)),
  unit: 'us-cpu/participant-second',
  peer: 'naive O(N^2) per-listener sum, same run',
  peerValue: Number(f(one.naiveUsPerParticipantSecond, 3)),
  ratio: Number(f(one.naiveUsPerParticipantSecond / one.mixerUsPerParticipantSecond, 1)),
  percentOfCore: Number(f(one.mixerPercentOfCore, 3)),
  membersPerCore: Math.round(one.mixerMembersPerCore),
  threeTalkersUsPerParticipantSecond: Number(f(three.mixerUsPerParticipantSecond, 3)),
  threeTalkersPercentOfCore: Number(f(three.mixerPercentOfCore, 3)),
  noGateUsPerParticipantSecond: Number(f(one.openUsPerParticipantSecond, 3)),
  noGatePercentOfCore: Number(f(one.openPercentOfCore, 3)),
  loadAverage1m: Number(f(loadavg()[0] ?? 0, 1)),
});
