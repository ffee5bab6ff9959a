import { describe, expect, it } from 'vitest';
import { FakeClock, isStrowgerError } from '../../../src/core/index.js';
import { Mixer, type MixerOptions, type MixerSampleRate } from '../../../src/media/mixer/index.js';
import { concat, goertzelAmplitude, SineSource } from '../helpers/signal.js';

const AMP = 4000;
/** Frequencies on whole-cycle bins for a 200 ms window at every rate, ≥ 300 Hz apart. */
const FREQS = [400, 700, 1000, 1300, 1600, 1900, 2200, 2500];

interface Run {
  outputs: Map<string, Int16Array>;
  freqOf: Map<string, number>;
}

/**
 * Drives `ticks` ticks where every member in `talkers` sends its own tone
 * and the rest send nothing, collecting every member's output.
 */
function run(mixer: Mixer, talkers: string[], ticks = 10, everyone = mixer.memberIds()): Run {
  const L = mixer.frameSamples;
  const freqOf = new Map<string, number>();
  const sources = new Map<string, SineSource>();
  everyone.forEach((id, i) => {
    const f = FREQS[i] as number;
    freqOf.set(id, f);
    if (talkers.includes(id)) sources.set(id, new SineSource(f, AMP, mixer.sampleRate));
  });
  const inputs = new Map<string, Int16Array>();
  for (const id of sources.keys()) inputs.set(id, new Int16Array(L));
  const frames = new Map<string, Int16Array[]>(everyone.map((id) => [id, []]));
  for (let t = 0; t < ticks; t++) {
    for (const [id, src] of sources) src.fill(inputs.get(id) as Int16Array);
    mixer.mixTick(inputs);
    for (const id of everyone) frames.get(id)?.push(Int16Array.from(mixer.output(id)));
  }
  return { outputs: new Map([...frames].map(([id, fs]) => [id, concat(fs)])), freqOf };
}

/** Which members' tones `listener` hears (Goertzel amplitude > 75% of the sent amplitude). */
function whoHears(r: Run, listener: string, sampleRate: number): string[] {
  const out = r.outputs.get(listener) as Int16Array;
  const heard: string[] = [];
  for (const [id, f] of r.freqOf) {
    const a = goertzelAmplitude(out, f, sampleRate);
    if (a > 0.75 * AMP) heard.push(id);
    else expect(a, `${listener} hears ${id} partly (${a.toFixed(1)})`).toBeLessThan(2);
  }
  return heard.sort();
}

function hearing(r: Run, sampleRate: number): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const id of r.freqOf.keys()) o[id] = whoHears(r, id, sampleRate);
  return o;
}

function mixer(opts: Partial<MixerOptions> = {}): Mixer {
  return new Mixer({ sampleRate: 8000, ...opts });
}

describe('mixer: who hears whom', () => {
  for (const rate of [8000, 16000, 48000] as MixerSampleRate[]) {
    it(`in a normal conference at ${rate} Hz everyone hears everyone else and never itself`, () => {
      const m = mixer({ sampleRate: rate });
      for (const id of ['a', 'b', 'c', 'd']) m.addMember(id);
      const r = run(m, ['a', 'b', 'c', 'd']);
      expect(hearing(r, rate)).toEqual({
        a: ['b', 'c', 'd'],
        b: ['a', 'c', 'd'],
        c: ['a', 'b', 'd'],
        d: ['a', 'b', 'c'],
      });
    });
  }

  it('a lone talker hears silence and everyone else hears it exactly', () => {
    const m = mixer();
    for (const id of ['a', 'b', 'c']) m.addMember(id);
    const src = new SineSource(700, AMP, 8000);
    const frame = new Int16Array(160);
    for (let t = 0; t < 5; t++) {
      src.fill(frame);
      m.mixTick(new Map([['a', frame]]));
      expect(m.output('a').every((v) => v === 0)).toBe(true);
      expect(Array.from(m.output('b'))).toEqual(Array.from(frame));
      expect(Array.from(m.output('c'))).toEqual(Array.from(frame));
    }
  });

  it('listen: the supervisor hears agent and customer; nobody hears the supervisor', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('customer');
    m.addMember('supervisor', { mode: 'listen' });
    const r = run(m, ['agent', 'customer', 'supervisor']);
    expect(hearing(r, 8000)).toEqual({
      agent: ['customer'],
      customer: ['agent'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('whisper: the supervisor is heard by the agent only', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('customer');
    m.addMember('supervisor', { mode: 'whisper', target: 'agent' });
    const r = run(m, ['agent', 'customer', 'supervisor']);
    expect(hearing(r, 8000)).toEqual({
      agent: ['customer', 'supervisor'],
      customer: ['agent'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('barge: everyone hears everyone', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('customer');
    m.addMember('supervisor', { mode: 'listen' });
    m.setMode('supervisor', 'barge');
    const r = run(m, ['agent', 'customer', 'supervisor']);
    expect(hearing(r, 8000)).toEqual({
      agent: ['customer', 'supervisor'],
      customer: ['agent', 'supervisor'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('coaching moves listen → whisper → barge → listen on the next tick each time', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('customer');
    m.addMember('supervisor');
    m.setMode('supervisor', 'listen');
    expect(hearing(run(m, ['agent', 'customer', 'supervisor']), 8000).customer).toEqual(['agent']);
    m.setMode('supervisor', 'whisper', 'agent');
    let h = hearing(run(m, ['agent', 'customer', 'supervisor']), 8000);
    expect([h.agent, h.customer]).toEqual([['customer', 'supervisor'], ['agent']]);
    m.setMode('supervisor', 'barge');
    h = hearing(run(m, ['agent', 'customer', 'supervisor']), 8000);
    expect([h.agent, h.customer]).toEqual([
      ['customer', 'supervisor'],
      ['agent', 'supervisor'],
    ]);
    m.setMode('supervisor', 'listen');
    h = hearing(run(m, ['agent', 'customer', 'supervisor']), 8000);
    expect([h.agent, h.customer, h.supervisor]).toEqual([['customer'], ['agent'], ['agent', 'customer']]);
  });

  it('whisper inside a bigger conference reaches only the target', () => {
    const m = mixer();
    for (const id of ['a', 'b', 'c', 'd']) m.addMember(id);
    m.addMember('coach', { mode: 'whisper', target: ['b', 'd'] });
    const h = hearing(run(m, ['a', 'b', 'c', 'd', 'coach']), 8000);
    expect(h).toEqual({
      a: ['b', 'c', 'd'],
      b: ['a', 'c', 'coach', 'd'],
      c: ['a', 'b', 'd'],
      d: ['a', 'b', 'c', 'coach'],
      coach: ['a', 'b', 'c', 'd'],
    });
  });

  it('mute: nobody hears a muted member, which still hears everyone and still shows as talking', () => {
    const m = mixer();
    for (const id of ['a', 'b', 'c']) m.addMember(id);
    m.mute('b');
    const r = run(m, ['a', 'b', 'c']);
    expect(hearing(r, 8000)).toEqual({ a: ['c'], b: ['a', 'c'], c: ['a'] });
    expect(m.member('b').talking).toBe(true);
    m.mute('b', false);
    expect(hearing(run(m, ['a', 'b', 'c']), 8000)).toEqual({ a: ['b', 'c'], b: ['a', 'c'], c: ['a', 'b'] });
  });

  it('deaf: a deaf member hears nothing and is still heard', () => {
    const m = mixer();
    for (const id of ['a', 'b', 'c']) m.addMember(id);
    m.deafen('c');
    const r = run(m, ['a', 'b', 'c']);
    expect(hearing(r, 8000)).toEqual({ a: ['b', 'c'], b: ['a', 'c'], c: [] });
    expect((r.outputs.get('c') as Int16Array).every((v) => v === 0)).toBe(true);
  });

  it('per-pair relations override the modes: a member can be made inaudible to one listener', () => {
    const m = mixer();
    for (const id of ['a', 'b', 'c']) m.addMember(id);
    m.setRelation('a', 'b', 0);
    expect(hearing(run(m, ['a', 'b', 'c']), 8000)).toEqual({ a: ['c'], b: ['a', 'c'], c: ['a', 'b'] });
    m.setRelation('a', 'b', null);
    expect(hearing(run(m, ['a', 'b', 'c']), 8000).a).toEqual(['b', 'c']);
  });

  it('a relation can let one listener hear a listen-mode member at a given gain', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('supervisor', { mode: 'listen' });
    m.addMember('trainee');
    m.setRelation('trainee', 'supervisor', 0.5);
    const r = run(m, ['supervisor'], 10);
    const sup = r.freqOf.get('supervisor') as number;
    expect(goertzelAmplitude(r.outputs.get('agent') as Int16Array, sup, 8000)).toBeLessThan(2);
    expect(goertzelAmplitude(r.outputs.get('trainee') as Int16Array, sup, 8000)).toBeCloseTo(AMP / 2, -1);
  });

  it('gain in scales what others hear of a member; gain out scales what a member hears', () => {
    const m = mixer();
    m.addMember('a', { gainIn: 0.5 });
    m.addMember('b', { gainOut: 2 });
    m.addMember('c');
    const r = run(m, ['a'], 10);
    const fa = r.freqOf.get('a') as number;
    expect(goertzelAmplitude(r.outputs.get('c') as Int16Array, fa, 8000)).toBeCloseTo(AMP / 2, -1);
    expect(goertzelAmplitude(r.outputs.get('b') as Int16Array, fa, 8000)).toBeCloseTo(AMP, -1);
    m.setGain('a', { in: 1 });
    m.setGain('b', { out: 0.25 });
    const r2 = run(m, ['a'], 10);
    expect(goertzelAmplitude(r2.outputs.get('b') as Int16Array, fa, 8000)).toBeCloseTo(AMP / 4, -1);
  });
});

describe('mixer: queued control and membership', () => {
  it('control changes wait for the next tick and apply together', () => {
    const m = mixer();
    m.addMember('a');
    m.addMember('b');
    const frame = new SineSource(1000, AMP, 8000).fill(new Int16Array(160));
    m.mixTick(new Map([['a', frame]]));
    expect(m.output('b').some((v) => v !== 0)).toBe(true);
    m.mute('a');
    expect(m.member('a').muted).toBe(false); // not applied yet
    m.mute('a', false);
    m.mute('a', true); // last write wins
    m.mixTick(new Map([['a', frame]]));
    expect(m.member('a').muted).toBe(true);
    expect(m.output('b').every((v) => v === 0)).toBe(true);
  });

  it('a member joins at the next tick and a removed member leaves every mix', () => {
    const m = mixer();
    m.addMember('a');
    const joining = m.addMember('b');
    expect(joining.active).toBe(false);
    const frame = new SineSource(1000, AMP, 8000).fill(new Int16Array(160));
    m.mixTick(new Map([['a', frame]]));
    expect(joining.active).toBe(true);
    expect(Array.from(m.output('b'))).toEqual(Array.from(frame));
    m.removeMember('a');
    expect(m.has('a')).toBe(false);
    m.mixTick(new Map([['a', frame]]));
    expect(m.output('b').every((v) => v === 0)).toBe(true);
    expect(m.stats.members).toBe(1);
    // the id can be reused by a new member
    m.addMember('a');
    m.mixTick(new Map([['a', frame]]));
    expect(Array.from(m.output('b'))).toEqual(Array.from(frame));
  });

  it('a whisper whose target leaves reaches nobody', () => {
    const m = mixer();
    m.addMember('agent');
    m.addMember('customer');
    m.addMember('supervisor', { mode: 'whisper', target: 'agent' });
    m.removeMember('agent');
    const h = hearing(run(m, ['customer', 'supervisor']), 8000);
    expect(h).toEqual({ customer: [], supervisor: ['customer'] });
  });

  it('missing input frames count as silence', () => {
    const m = mixer();
    m.addMember('a');
    m.addMember('b');
    m.mixTick(new Map());
    m.mixTick(new Map([['a', null]]));
    expect(m.member('a').missingFrames).toBe(2);
    expect(m.output('b').every((v) => v === 0)).toBe(true);
  });

  it('bad arguments throw typed errors with stable codes', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isStrowgerError(err) ? err.code : 'untyped';
      }
      return 'no error';
    };
    expect(codeOf(() => new Mixer({ sampleRate: 44100 as MixerSampleRate }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new Mixer({ sampleRate: 8000, frameMs: 0.1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new Mixer({ sampleRate: 8000, talk: { onDbfs: -50, offDbfs: -40 } }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const m = mixer({ maxMembers: 2 });
    m.addMember('a');
    expect(codeOf(() => m.addMember('a'))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.addMember(''))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.addMember('b', { gainIn: -1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.addMember('b', { gainOut: Number.NaN }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.addMember('b', { mode: 'whisper' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.addMember('b', { mode: 'spy' as 'listen' }))).toBe('ERR_INVALID_ARGUMENT');
    m.addMember('b');
    expect(codeOf(() => m.addMember('c'))).toBe('ERR_INVALID_STATE');
    expect(codeOf(() => m.mute('zz'))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.setMode('a', 'whisper', 'a'))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.setMode('a', 'whisper', 'zz'))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.setRelation('a', 'a', 1))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.setRelation('a', 'b', 9))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.mixTick(new Map([['a', new Int16Array(80)]])))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => m.mixTick(new Map([['a', new Float32Array(160) as unknown as Int16Array]])))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    let closes = 0;
    m.on('close', () => closes++);
    m.close();
    m.close();
    expect(closes).toBe(1);
    expect(m.closed).toBe(true);
    expect(codeOf(() => m.mixTick(new Map()))).toBe('ERR_CLOSED');
    expect(codeOf(() => m.addMember('x'))).toBe('ERR_CLOSED');
  });
});

describe('mixer: clipping protection', () => {
  function loudConference(limiter: 'saturate' | 'soft') {
    const m = mixer({ limiter });
    const n = 12;
    const ids = Array.from({ length: n }, (_, i) => `m${i}`);
    for (const id of ids) m.addMember(id);
    // every member sends a near-full-scale tone of its own (in phase at t=0)
    const sources = ids.map((_, i) => new SineSource(300 + 100 * i, 30000, 8000));
    const inputs = new Map(ids.map((id) => [id, new Int16Array(160)]));
    const exact = new Float64Array(160);
    const check: Array<{ out: number; exact: number }> = [];
    for (let t = 0; t < 20; t++) {
      ids.forEach((id, i) => {
        sources[i]?.fill(inputs.get(id) as Int16Array);
      });
      m.mixTick(inputs);
      // exact (unclipped) mix for member m0: sum of everyone else
      exact.fill(0);
      for (const id of ids.slice(1)) {
        const f = inputs.get(id) as Int16Array;
        for (let i = 0; i < 160; i++) exact[i] = (exact[i] as number) + (f[i] as number);
      }
      const out = m.output('m0');
      for (let i = 0; i < 160; i++) check.push({ out: out[i] as number, exact: exact[i] as number });
    }
    return { m, check };
  }

  it('saturation: eleven loud talkers clip to the 16-bit rails, never wrap around', () => {
    const { m, check } = loudConference('saturate');
    expect(m.stats.limitedSamples).toBeGreaterThan(0);
    let railed = 0;
    for (const { out, exact } of check) {
      expect(out).toBe(Math.max(-32768, Math.min(32767, exact)));
      if (out === 32767 || out === -32768) railed++;
    }
    expect(railed).toBeGreaterThan(0);
  });

  it('soft limiter: exact below the knee, keeps the sign, stays below full scale, never wraps', () => {
    const { m, check } = loudConference('soft');
    expect(m.stats.limitedSamples).toBeGreaterThan(0);
    let compressed = 0;
    for (const { out, exact } of check) {
      if (Math.abs(exact) <= 24576) expect(out).toBe(exact);
      else {
        compressed++;
        expect(Math.sign(out)).toBe(Math.sign(exact));
        expect(Math.abs(out)).toBeGreaterThanOrEqual(24576);
        expect(Math.abs(out)).toBeLessThan(Math.abs(exact));
        expect(out).toBeLessThanOrEqual(32767);
        expect(out).toBeGreaterThanOrEqual(-32768);
      }
    }
    expect(compressed).toBeGreaterThan(0);
  });

  it('soft limiter is monotonic: a louder sum never comes out quieter', () => {
    const m = mixer({ limiter: 'soft' });
    m.addMember('a');
    m.addMember('b');
    m.addMember('listener');
    const a = new Int16Array(160);
    const b = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      a[i] = Math.round(-32768 + (65535 * i) / 159);
      b[i] = a[i] as number;
    }
    m.mixTick(
      new Map([
        ['a', a],
        ['b', b],
      ]),
    );
    const out = m.output('listener');
    for (let i = 1; i < 160; i++) expect(out[i] as number).toBeGreaterThanOrEqual(out[i - 1] as number);
    expect(out[0]).toBeGreaterThanOrEqual(-32768);
    expect(out[159]).toBeLessThanOrEqual(32767);
  });
});

describe('mixer: talk detection', () => {
  function loud(): Int16Array {
    return new SineSource(500, 3000, 8000).fill(new Int16Array(160)); // about -20.8 dBFS
  }
  function atLevel(dbfs: number): Int16Array {
    return new SineSource(500, 32767 * 10 ** (dbfs / 20), 8000).fill(new Int16Array(160));
  }

  it('talking starts on the first loud frame and silent follows exactly one hang-over after it stops', () => {
    const clock = new FakeClock();
    const m = mixer({ talk: { onDbfs: -40, offDbfs: -46, hangoverMs: 300 } });
    m.addMember('a');
    m.addMember('b');
    const events: string[] = [];
    m.on('talking', (id, at) => events.push(`talking ${id} ${at} @${clock.now()}`));
    m.on('silent', (id, at) => events.push(`silent ${id} ${at} @${clock.now()}`));
    const frame = loud();
    const quiet = new Int16Array(160);
    // the worker's 20 ms tick, driven by a fake clock: tick k runs at clock time 20·(k+1)
    let k = 0;
    const timer = clock.setInterval(() => {
      // a talks during ticks 5…29 (100 ms … 600 ms of mixer time), then is quiet
      m.mixTick(new Map([['a', k >= 5 && k < 30 ? frame : quiet]]));
      k++;
    }, 20);
    clock.advance(2000);
    timer.cancel();
    expect(events).toEqual(['talking a 100 @120', 'silent a 900 @900']);
    expect(m.member('a').talking).toBe(false);
  });

  it('a pause shorter than the hang-over does not end talk; hysteresis keeps a fading talker', () => {
    const m = mixer({ talk: { onDbfs: -40, offDbfs: -50, hangoverMs: 200 } });
    m.addMember('a');
    const events: string[] = [];
    m.on('talking', (id, at) => events.push(`talking ${id} ${at}`));
    m.on('silent', (id, at) => events.push(`silent ${id} ${at}`));
    const seq: Int16Array[] = [
      ...Array(3).fill(atLevel(-45)), // between off and on: does not start talk (0…60 ms)
      ...Array(3).fill(atLevel(-30)), // starts at 60 ms
      ...Array(9).fill(new Int16Array(160)), // 180 ms pause < 200 ms hang-over
      ...Array(5).fill(atLevel(-45)), // fading but above off: still talking
      ...Array(10).fill(new Int16Array(160)), // quiet from 400 ms: silent at 600 ms
    ];
    for (const f of seq) m.mixTick(new Map([['a', f]]));
    expect(events).toEqual(['talking a 60', 'silent a 600']);
  });

  it('the gate keeps silent members out of the mix and lets them in on their first loud frame', () => {
    const m = mixer({ talk: { onDbfs: -40, offDbfs: -46, hangoverMs: 100 } });
    m.addMember('a');
    m.addMember('b');
    const hum = atLevel(-55);
    m.mixTick(new Map([['a', hum]]));
    expect(m.output('b').every((v) => v === 0)).toBe(true);
    const speech = atLevel(-20);
    m.mixTick(new Map([['a', speech]]));
    expect(Array.from(m.output('b'))).toEqual(Array.from(speech));
    // with the gate off the hum is mixed too
    const open = mixer({ gate: false });
    open.addMember('a');
    open.addMember('b');
    open.mixTick(new Map([['a', hum]]));
    expect(Array.from(open.output('b'))).toEqual(Array.from(hum));
  });

  it('a member added with gate: false is always mixed (a link to another worker, a player)', () => {
    const m = mixer();
    m.addMember('link', { gate: false });
    m.addMember('a');
    const hum = atLevel(-60);
    m.mixTick(
      new Map([
        ['link', hum],
        ['a', hum],
      ]),
    );
    expect(Array.from(m.output('a'))).toEqual(Array.from(hum)); // the link's quiet audio passes
    expect(m.output('link').every((v) => v === 0)).toBe(true); // a's hum is gated
    expect(m.member('link').gate).toBe(false);
  });

  it('reports the level of the last frame in dBFS', () => {
    const m = mixer();
    m.addMember('a');
    m.mixTick(new Map([['a', atLevel(-20)]]));
    expect(m.member('a').levelDbfs).toBeCloseTo(-20, 1);
    m.mixTick(new Map());
    expect(m.member('a').levelDbfs).toBe(Number.NEGATIVE_INFINITY);
  });
});
