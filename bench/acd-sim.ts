/**
 * bench/acd-sim — the contact-center simulator driving Strowger's ACD: service level,
 * ASA, abandon rate and occupancy beside Erlang C (and Erlang A where callers abandon),
 * and the accuracy of the wait estimate announced at arrival — Strowger's (position,
 * live staffing, recent handle time, Erlang A's conditional wait) beside the
 * Asterisk-style estimate (exponential average of past hold times, (3·old + new)/4)
 * computed in the same runs. 48 erlangs (720 calls/hour × 240 s), SL threshold 15 s,
 * 24 simulated hours per run (first hour discarded), 3 seeds per scenario.
 *
 * RESULT value: Strowger's EWT median absolute error as % of the mean realised wait in
 * the loaded lognormal scenario (lower is better), the Asterisk-style estimate as peer.
 */
import { type SimQueue, type SimulationReport, simulate } from '../src/acd/index.js';
import { median, printResult } from './lib/stats.js';

const HOUR = 3_600_000;
const SEEDS = [1, 2, 3];
const base: SimQueue = {
  id: 'q',
  arrivalsPerHour: 720,
  handleMeanMs: 240_000,
  config: { serviceLevel: { thresholdMs: 15_000 } },
};

const scenarios: Array<{ name: string; agents: number; queue: SimQueue }> = [
  {
    name: 'Erlang C regime: 55 agents, exponential, no abandon',
    agents: 55,
    queue: { ...base, handleDistribution: 'exponential' },
  },
  { name: 'loaded: 50 agents, lognormal CV 1, no abandon', agents: 50, queue: { ...base, handleCv: 1 } },
  {
    name: 'loaded + patience 10 min: 49 agents, lognormal',
    agents: 49,
    queue: { ...base, handleCv: 1, patienceMeanMs: 600_000 },
  },
  {
    name: 'lighter + patience 5 min: 52 agents, lognormal',
    agents: 52,
    queue: { ...base, handleCv: 1, patienceMeanMs: 300_000 },
  },
];

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
let headline: { ours: number; peer: number; oursMed: number; peerMed: number } | undefined;
const t0 = performance.now();
for (const sc of scenarios) {
  const runs: SimulationReport[] = SEEDS.map((seed) =>
    simulate({
      seed,
      durationMs: 24 * HOUR,
      warmupMs: HOUR,
      queues: [sc.queue],
      agents: [{ count: sc.agents, queues: ['q'] }],
    }),
  );
  const q = runs.map((r) => r.queues[0] as NonNullable<SimulationReport['queues'][0]>);
  const m = (f: (x: (typeof q)[0]) => number) => median(q.map(f));
  const first = q[0] as (typeof q)[0];
  process.stdout.write(`\n${sc.name}\n`);
  process.stdout.write(
    `  simulated: SL ${pct(m((x) => x.serviceLevel))}  ASA ${sec(m((x) => x.asaMs))}  abandon ${pct(m((x) => x.abandonRate))}  occupancy ${pct(median(runs.map((r) => r.occupancy)))}  (${Math.round(m((x) => x.answered))} answered/run)\n`,
  );
  process.stdout.write(
    `  Erlang C:  SL ${pct(first.erlangC.serviceLevel)}  ASA ${sec(first.erlangC.asaMs)}  P(wait) ${pct(first.erlangC.pWait)}  for ${first.erlangC.traffic.toFixed(1)} erlangs on ${first.erlangC.agents} agents\n`,
  );
  if (first.erlangA) {
    process.stdout.write(
      `  Erlang A:  SL ${pct(first.erlangA.serviceLevel ?? 0)} (answered ≤ T of all arrivals)  abandon ${pct(first.erlangA.pAbandon)}  mean wait ${sec(first.erlangA.meanWaitMs)} (simulated ${sec(m((x) => x.meanWaitAllMs))})\n`,
    );
  }
  const ours = m((x) => x.ewt.strowger.relativeMedianAbsError);
  const peer = m((x) => x.ewt.asteriskStyle.relativeMedianAbsError);
  const oursMed = m((x) => x.ewt.strowger.medianRelativeError);
  const peerMed = m((x) => x.ewt.asteriskStyle.medianRelativeError);
  process.stdout.write(
    `  EWT error over callers who queued (${Math.round(m((x) => x.ewt.strowger.samples))}/run, mean wait ${sec(m((x) => x.ewt.strowger.meanRealisedWaitMs))}):\n` +
      `    strowger       MdAE ${sec(m((x) => x.ewt.strowger.medianAbsErrorMs))} = ${pct(ours)} of mean wait; median |e−w|/w ${pct(oursMed)}; bias ${sec(m((x) => x.ewt.strowger.biasMs))}\n` +
      `    asterisk-style MdAE ${sec(m((x) => x.ewt.asteriskStyle.medianAbsErrorMs))} = ${pct(peer)} of mean wait; median |e−w|/w ${pct(peerMed)}; bias ${sec(m((x) => x.ewt.asteriskStyle.biasMs))}\n`,
  );
  if (sc.agents === 50) headline = { ours, peer, oursMed, peerMed };
}
// agents shared between queues, a priority queue among them: where the staffing model does not fit
{
  process.stdout.write(
    '\nshared agents: 20 sales-only, 10 support-only, 15 flex (sales + support + vip, vip at priority 2); lognormal\n',
  );
  const runs = SEEDS.map((seed) =>
    simulate({
      seed,
      durationMs: 24 * HOUR,
      warmupMs: HOUR,
      queues: [
        { id: 'sales', arrivalsPerHour: 330, handleMeanMs: 240_000 },
        { id: 'support', arrivalsPerHour: 150, handleMeanMs: 300_000 },
        { id: 'vip', arrivalsPerHour: 40, handleMeanMs: 300_000, config: { priority: 2 } },
      ],
      agents: [
        { count: 20, queues: ['sales'] },
        { count: 10, queues: ['support'] },
        { count: 15, queues: ['sales', 'support', 'vip'], prefix: 'flex-' },
      ],
    }),
  );
  for (const id of ['sales', 'support', 'vip']) {
    const q = runs.map(
      (r) => r.queues.find((x) => x.id === id) as NonNullable<SimulationReport['queues'][0]>,
    );
    const m = (f: (x: (typeof q)[0]) => number) => median(q.map(f));
    process.stdout.write(
      `  ${id.padEnd(8)} SL ${pct(m((x) => x.serviceLevel))}  ASA ${sec(m((x) => x.asaMs))} | EWT MdAE/mean wait: strowger ${pct(m((x) => x.ewt.strowger.relativeMedianAbsError))}, asterisk-style ${pct(m((x) => x.ewt.asteriskStyle.relativeMedianAbsError))} | median |e−w|/w: ${pct(m((x) => x.ewt.strowger.medianRelativeError))} vs ${pct(m((x) => x.ewt.asteriskStyle.medianRelativeError))}\n`,
    );
  }
}
process.stdout.write(
  `\n${(scenarios.length + 1) * SEEDS.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
);
const h = headline as NonNullable<typeof headline>;
printResult({
  name: 'acd-ewt-error',
  value: Number((h.ours * 100).toFixed(2)),
  unit: '% (EWT median abs error / mean realised wait, loaded lognormal; lower is better)',
  peer: 'asterisk-style holdtime average',
  peerValue: Number((h.peer * 100).toFixed(2)),
  ratio: Number((h.ours / h.peer).toFixed(4)),
  medianRelativeError: Number((h.oursMed * 100).toFixed(2)),
  peerMedianRelativeError: Number((h.peerMed * 100).toFixed(2)),
});
