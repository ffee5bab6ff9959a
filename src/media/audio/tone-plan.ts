import { StrowgerError } from '../../core/index.js';

/**
 * Call-progress tone tables. A tone is a list of cadence segments, each with
 * a duration and the sine components sounding during it (none = silence);
 * `loop` repeats the list from `loopFrom`. Levels are in dBm0 per component,
 * as the standards give them (0 dBm0 ≈ -3.14 dBFS in G.711 terms).
 *
 * Sources (values written from the recommendations, not from other code):
 * - `us`: North American precise tone plan (ANSI T1.401; ITU-T E.180 Suppl.
 *   and E.300-series Suppl. 3): dial 350+440 Hz -13 dBm0; audible ringing
 *   440+480 Hz -19 dBm0 2 s on / 4 s off; busy 480+620 Hz -24 dBm0 0.5/0.5 s;
 *   reorder 480+620 Hz 0.25/0.25 s; call waiting 440 Hz 0.3 s; SIT
 *   913.8/1370.6/1776.7 Hz 274/274/380 ms.
 * - `itu` (alias `eu`): ITU-T E.180 recommended values as harmonised for
 *   Europe (ETSI ETR 187 / TR 101 041): 425 Hz for dial (continuous),
 *   ringing (1 s on, 4 s off), busy (0.5/0.5 s), congestion (0.25/0.25 s),
 *   call waiting (0.2 on, 0.2 off, 0.2 on, then a pause); SIT
 *   950/1400/1800 Hz, 3 × 0.333 s, 1 s pause.
 * - `uk`: BT SIN 350: dial 350+440 Hz; ringing 400+450 Hz 0.4/0.2/0.4/2.0 s;
 *   busy 400 Hz 0.375/0.375 s; congestion 400 Hz 0.4/0.35/0.225/0.525 s;
 *   call waiting 400 Hz 0.1 s every 3 s; interrupted dial tone 0.75/0.75 s.
 * - `de`: Deutsche Telekom 1TR110 (listed in E.180 Suppl. 2): 425 Hz; busy
 *   0.48/0.48 s; congestion 0.24/0.24 s; ringing 1/4 s; call waiting
 *   0.2/0.2/0.2/5.0 s; special dial tone 425+400 Hz; SIT 900/1400/1800 Hz.
 * Levels where a source gives none are -13 dBm0 per component.
 */

export interface ToneComponent {
  /** Frequency in Hz. */
  readonly freq: number;
  /** Level of this component in dBm0. */
  readonly levelDbm0: number;
}

export interface ToneSegment {
  /** Duration in ms; `Infinity` sounds until the generator is stopped. */
  readonly durationMs: number;
  /** Components sounding in this segment; empty = silence. */
  readonly components: readonly ToneComponent[];
}

export interface ToneSpec {
  readonly name: string;
  readonly segments: readonly ToneSegment[];
  /** Repeat the cadence (from `loopFrom`) after the last segment. */
  readonly loop: boolean;
  /** Segment index the loop goes back to (default 0). */
  readonly loopFrom?: number;
}

/** Tones every region's plan has. */
export const TONE_NAMES = [
  'dial',
  'ringback',
  'busy',
  'congestion',
  'callWaiting',
  'specialDial',
  'sit',
  'confirm',
  'beep',
  'recordWarning',
  'zip',
] as const;
export type ToneName = (typeof TONE_NAMES)[number];

export const TONE_REGIONS = ['us', 'itu', 'eu', 'uk', 'de'] as const;
export type ToneRegion = (typeof TONE_REGIONS)[number];

export type TonePlan = Readonly<Record<ToneName, ToneSpec>>;

/** dBm0 → dBFS offset for a sine (G.711: full-scale sine ≈ +3.14 dBm0). */
export const DBM0_TO_DBFS = -3.14;

/** Peak amplitude (16-bit sample units) of a sine component at `levelDbm0`. */
export function dbm0ToAmplitude(levelDbm0: number): number {
  return 32767 * 10 ** ((levelDbm0 + DBM0_TO_DBFS) / 20);
}

const on = (ms: number, freqs: readonly number[], levelDbm0: number | readonly number[]): ToneSegment =>
  Object.freeze({
    durationMs: ms,
    components: Object.freeze(
      freqs.map((freq, i) =>
        Object.freeze({
          freq,
          levelDbm0: typeof levelDbm0 === 'number' ? levelDbm0 : (levelDbm0[i] as number),
        }),
      ),
    ),
  });
const off = (ms: number): ToneSegment => Object.freeze({ durationMs: ms, components: Object.freeze([]) });
const spec = (name: string, segments: ToneSegment[], loop: boolean, loopFrom = 0): ToneSpec =>
  Object.freeze({ name, segments: Object.freeze(segments), loop, loopFrom });
const repeat = (n: number, segs: ToneSegment[]): ToneSegment[] =>
  Array.from({ length: n }, () => segs).flat();

/** Tones that are the same everywhere (call-center conventions rather than network tones). */
const COMMON = {
  /** Record-after-the-tone beep: 1 kHz, 300 ms, once. */
  beep: spec('beep', [on(300, [1000], -10)], false),
  /** Recording-in-progress warning: 1400 Hz, 0.5 s every 15 s (FCC-style beep tone). */
  recordWarning: spec('recordWarning', [on(500, [1400], -13), off(14500)], true),
  /** Whisper/zip tone announcing a call to an agent: two short 440 Hz pips, once. */
  zip: spec('zip', [on(100, [440], -13), off(100), on(100, [440], -13)], false),
};

const US: TonePlan = Object.freeze({
  ...COMMON,
  dial: spec('dial', [on(Infinity, [350, 440], -13)], false),
  ringback: spec('ringback', [on(2000, [440, 480], -19), off(4000)], true),
  busy: spec('busy', [on(500, [480, 620], -24), off(500)], true),
  congestion: spec('congestion', [on(250, [480, 620], -24), off(250)], true),
  callWaiting: spec('callWaiting', [on(300, [440], -13), off(9700)], true),
  // stutter dial tone (message waiting): 10 × 0.1/0.1 s, then steady
  specialDial: spec(
    'specialDial',
    [...repeat(10, [on(100, [350, 440], -13), off(100)]), on(Infinity, [350, 440], -13)],
    false,
  ),
  sit: spec('sit', [on(274, [913.8], -24), on(274, [1370.6], -24), on(380, [1776.7], -24)], false),
  confirm: spec('confirm', repeat(3, [on(100, [350, 440], -13), off(100)]), false),
});

const ITU: TonePlan = Object.freeze({
  ...COMMON,
  dial: spec('dial', [on(Infinity, [425], -13)], false),
  ringback: spec('ringback', [on(1000, [425], -13), off(4000)], true),
  busy: spec('busy', [on(500, [425], -13), off(500)], true),
  congestion: spec('congestion', [on(250, [425], -13), off(250)], true),
  callWaiting: spec('callWaiting', [on(200, [425], -13), off(200), on(200, [425], -13), off(3000)], true),
  specialDial: spec('specialDial', [on(400, [425], -13), off(40)], true),
  sit: spec('sit', [on(333, [950], -20), on(333, [1400], -20), on(333, [1800], -20), off(1000)], true),
  confirm: spec('confirm', repeat(3, [on(100, [425], -13), off(100)]), false),
});

const UK: TonePlan = Object.freeze({
  ...COMMON,
  dial: spec('dial', [on(Infinity, [350, 440], [-20, -23])], false),
  ringback: spec('ringback', [on(400, [400, 450], -19), off(200), on(400, [400, 450], -19), off(2000)], true),
  busy: spec('busy', [on(375, [400], -20), off(375)], true),
  congestion: spec('congestion', [on(400, [400], -20), off(350), on(225, [400], -20), off(525)], true),
  callWaiting: spec('callWaiting', [on(100, [400], -20), off(3000)], true),
  specialDial: spec('specialDial', [on(750, [350, 440], [-20, -23]), off(750)], true),
  sit: spec('sit', [on(333, [950], -20), on(333, [1400], -20), on(333, [1800], -20), off(1000)], true),
  confirm: spec('confirm', repeat(3, [on(100, [350, 440], [-20, -23]), off(100)]), false),
});

const DE: TonePlan = Object.freeze({
  ...COMMON,
  dial: spec('dial', [on(Infinity, [425], -13)], false),
  ringback: spec('ringback', [on(1000, [425], -13), off(4000)], true),
  busy: spec('busy', [on(480, [425], -13), off(480)], true),
  congestion: spec('congestion', [on(240, [425], -13), off(240)], true),
  callWaiting: spec('callWaiting', [on(200, [425], -13), off(200), on(200, [425], -13), off(5000)], true),
  specialDial: spec('specialDial', [on(Infinity, [425, 400], -13)], false),
  sit: spec('sit', [on(330, [900], -20), on(330, [1400], -20), on(330, [1800], -20), off(1000)], true),
  confirm: spec('confirm', repeat(3, [on(100, [425], -13), off(100)]), false),
});

/** Every region's tone plan; `eu` is the ITU/ETSI plan. */
export const TONE_PLANS: Readonly<Record<ToneRegion, TonePlan>> = Object.freeze({
  us: US,
  itu: ITU,
  eu: ITU,
  uk: UK,
  de: DE,
});

/** The tone `name` of `region`'s plan. */
export function toneSpec(region: ToneRegion, name: ToneName): ToneSpec {
  const plan = (TONE_PLANS as Record<string, TonePlan | undefined>)[region];
  if (!plan) throw new StrowgerError('ERR_INVALID_ARGUMENT', `unknown tone region ${String(region)}`);
  const t = (plan as Record<string, ToneSpec | undefined>)[name];
  if (!t) throw new StrowgerError('ERR_INVALID_ARGUMENT', `unknown tone ${String(name)}`);
  return t;
}

/** DTMF (ITU-T Q.23) row and column frequencies of each key. */
export const DTMF_FREQUENCIES: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  A: [697, 1633],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  B: [770, 1633],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  C: [852, 1633],
  '*': [941, 1209],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
});

export interface DtmfOptions {
  /** Tone duration per digit in ms (default 100; Q.24 receivers need ≥ 40). */
  toneMs?: number;
  /** Pause between digits in ms (default 100). */
  gapMs?: number;
  /** Low-group level in dBm0 (default -9). */
  lowDbm0?: number;
  /** High-group level in dBm0 (default -7: +2 dB twist, as Q.23 terminals send). */
  highDbm0?: number;
}

export const DTMF_DEFAULTS: Readonly<Required<DtmfOptions>> = Object.freeze({
  toneMs: 100,
  gapMs: 100,
  lowDbm0: -9,
  highDbm0: -7,
});

/** A one-shot tone that plays `digits` (0-9, *, #, A-D) as DTMF, with gaps between. */
export function dtmfToneSpec(digits: string, options: DtmfOptions = {}): ToneSpec {
  const o = { ...DTMF_DEFAULTS, ...options };
  if (typeof digits !== 'string' || digits.length === 0) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'DTMF digits must be a non-empty string');
  }
  if (!(o.toneMs > 0) || !Number.isFinite(o.toneMs) || !(o.gapMs >= 0) || !Number.isFinite(o.gapMs)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'DTMF toneMs must be > 0 and gapMs >= 0');
  }
  const segments: ToneSegment[] = [];
  for (const ch of digits) {
    const f = DTMF_FREQUENCIES[ch.toUpperCase()];
    if (!f) throw new StrowgerError('ERR_INVALID_ARGUMENT', `not a DTMF digit: ${JSON.stringify(ch)}`);
    if (segments.length > 0 && o.gapMs > 0) segments.push(off(o.gapMs));
    segments.push(on(o.toneMs, f, [o.lowDbm0, o.highDbm0]));
  }
  return spec(`dtmf:${digits}`, segments, false);
}
