/**
 * Invariants of the mixer, checked against a naive O(N²) reference model of
 * the mix rules: every listener's output is the clamped sum, over every other
 * member it may hear, of that member's scaled input times the pair's gain —
 * so a member never hears itself and nothing wraps around the 16-bit range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MemberMode, Mixer } from '../../../src/media/mixer/index.js';

const L = 40; // 5 ms at 8 kHz keeps the properties fast
const GAINS = [0, 0.25, 0.5, 1, 1, 1, 1.5, 2, 8];

interface MemberCfg {
  muted: boolean;
  deaf: boolean;
  gainIn: number;
  gainOut: number;
  mode: MemberMode;
  target: number; // index of the whisper target (resolved to another member)
}

interface Config {
  members: MemberCfg[];
  relations: Array<{ l: number; s: number; g: number }>;
}

const memberArb: fc.Arbitrary<MemberCfg> = fc.record({
  muted: fc.boolean(),
  deaf: fc.boolean(),
  gainIn: fc.constantFrom(...GAINS),
  gainOut: fc.constantFrom(...GAINS),
  mode: fc.constantFrom<MemberMode>('normal', 'normal', 'listen', 'whisper', 'barge'),
  target: fc.nat(),
});

function configArb(n: number): fc.Arbitrary<Config> {
  return fc.record({
    members: fc.array(memberArb, { minLength: n, maxLength: n }),
    relations: fc.array(
      fc
        .record({ l: fc.nat(n - 1), s: fc.nat(n - 1), g: fc.constantFrom(0, 0.3, 1, 2) })
        .filter((r) => r.l !== r.s),
      { maxLength: 4 },
    ),
  });
}

/** A frame: absent, silent, quiet noise, or arbitrary (loud) samples. */
const frameArb: fc.Arbitrary<Int16Array | null> = fc.oneof(
  fc.constant(null),
  fc.constant(new Int16Array(L)),
  fc.array(fc.integer({ min: -60, max: 60 }), { minLength: L, maxLength: L }).map((a) => Int16Array.from(a)),
  fc
    .array(fc.integer({ min: -32768, max: 32767 }), { minLength: L, maxLength: L })
    .map((a) => Int16Array.from(a)),
);

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

function whisperTarget(cfg: Config, i: number): number {
  const n = cfg.members.length;
  return (i + 1 + ((cfg.members[i] as MemberCfg).target % (n - 1))) % n;
}

function apply(m: Mixer, cfg: Config, previous?: Config): void {
  const names = ids(cfg.members.length);
  cfg.members.forEach((c, i) => {
    const id = names[i] as string;
    m.mute(id, c.muted);
    m.deafen(id, c.deaf);
    m.setGain(id, { in: c.gainIn, out: c.gainOut });
    m.setMode(id, c.mode, c.mode === 'whisper' ? (names[whisperTarget(cfg, i)] as string) : undefined);
  });
  for (const r of previous?.relations ?? []) m.setRelation(names[r.l] as string, names[r.s] as string, null);
  for (const r of cfg.relations) m.setRelation(names[r.l] as string, names[r.s] as string, r.g);
}

/** The naive reference: what listener `l` should hear this tick. */
function reference(cfg: Config, frames: Array<Int16Array | null>, mixed: boolean[], l: number): Int16Array {
  const out = new Int16Array(L);
  const lc = cfg.members[l] as MemberCfg;
  if (lc.deaf) return out;
  const acc = new Float64Array(L);
  cfg.members.forEach((sc, s) => {
    if (s === l || !mixed[s]) return;
    let g: number;
    if (sc.mode === 'listen') g = 0;
    else if (sc.mode === 'whisper') g = whisperTarget(cfg, s) === l ? 1 : 0;
    else g = 1;
    let rel: number | undefined;
    for (const r of cfg.relations) if (r.l === l && r.s === s) rel = r.g;
    if (rel !== undefined) g = rel;
    const f = frames[s] as Int16Array;
    for (let i = 0; i < L; i++) {
      const c = sc.gainIn === 1 ? (f[i] as number) : Math.round((f[i] as number) * sc.gainIn);
      acc[i] = (acc[i] as number) + g * c;
    }
  });
  for (let i = 0; i < L; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round((acc[i] as number) * lc.gainOut)));
  return out;
}

describe('mixer invariants (fast-check)', () => {
  it('every output equals the clamped O(N²) reference mix, before and after a queued reconfiguration', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 6 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              configArb(n),
              configArb(n),
              fc.boolean(),
              fc.array(fc.array(frameArb, { minLength: n, maxLength: n }), { minLength: 2, maxLength: 6 }),
            ),
          ),
        ([n, cfgA, cfgB, gate, ticks]) => {
          const names = ids(n);
          const m = new Mixer({ sampleRate: 8000, frameMs: 5, gate });
          for (const id of names) m.addMember(id);
          apply(m, cfgA);
          const switchAt = ticks.length >> 1;
          ticks.forEach((frames, t) => {
            // changes made after tick switchAt-1 apply from tick switchAt on
            if (t === switchAt) apply(m, cfgB, cfgA);
            const cfg = t < switchAt ? cfgA : cfgB;
            m.mixTick(new Map(names.map((id, i) => [id, frames[i]])));
            const mixed = names.map(
              (id, i) =>
                frames[i] !== null && !(cfg.members[i] as MemberCfg).muted && (!gate || m.member(id).talking),
            );
            names.forEach((id, l) => {
              const want = reference(cfg, frames, mixed, l);
              const got = m.output(id);
              for (let i = 0; i < L; i++) {
                if (Math.abs((got[i] as number) - (want[i] as number)) > 1) {
                  throw new Error(`tick ${t} listener ${id} sample ${i}: got ${got[i]}, want ${want[i]}`);
                }
              }
            });
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a member's own input never reaches its own output, whatever the configuration", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            configArb(n),
            fc.nat(n - 1),
            fc.boolean(),
            fc.constantFrom<'saturate' | 'soft'>('saturate', 'soft'),
            fc.array(fc.tuple(fc.array(frameArb, { minLength: n, maxLength: n }), frameArb), {
              minLength: 1,
              maxLength: 5,
            }),
          ),
        ),
        ([n, cfg, self, gate, limiter, ticks]) => {
          const names = ids(n);
          const a = new Mixer({ sampleRate: 8000, frameMs: 5, gate, limiter });
          const b = new Mixer({ sampleRate: 8000, frameMs: 5, gate, limiter });
          for (const m of [a, b]) {
            for (const id of names) m.addMember(id);
            apply(m, cfg);
          }
          const me = names[self] as string;
          for (const [frames, other] of ticks) {
            a.mixTick(new Map(names.map((id, i) => [id, frames[i]])));
            // mixer b gets the same frames except a different one from `me`
            b.mixTick(new Map(names.map((id, i) => [id, i === self ? other : frames[i]])));
            expect(Array.from(b.output(me))).toEqual(Array.from(a.output(me)));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with the soft limiter every output keeps the sign of the exact mix and never exceeds its magnitude', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 8 })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(frameArb, { minLength: n, maxLength: n }))),
        ([n, frames]) => {
          const names = ids(n);
          const m = new Mixer({ sampleRate: 8000, frameMs: 5, gate: false, limiter: 'soft' });
          for (const id of names) m.addMember(id);
          m.mixTick(new Map(names.map((id, i) => [id, frames[i]])));
          names.forEach((id, l) => {
            const out = m.output(id);
            for (let i = 0; i < L; i++) {
              let exact = 0;
              frames.forEach((f, s) => {
                if (s !== l && f) exact += f[i] as number;
              });
              const o = out[i] as number;
              expect(Math.abs(o)).toBeLessThanOrEqual(Math.abs(exact));
              if (exact !== 0 && o !== 0) expect(Math.sign(o)).toBe(Math.sign(exact));
              if (Math.abs(exact) <= 24576) expect(o).toBe(exact);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
