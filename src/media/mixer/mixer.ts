import { StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  resolveTalkOptions,
  TALK_STARTED,
  TALK_STOPPED,
  type TalkDetectionOptions,
  TalkDetector,
} from './talk-detector.js';

/** Sample rates a bridge can run at; the worker resamples/transcodes members to it. */
export type MixerSampleRate = 8000 | 16000 | 48000;

/**
 * How a member takes part, in call-center vocabulary:
 * - `normal`: hears everyone else, heard by everyone else (a conference member).
 * - `listen`: hears everyone, heard by nobody (silent monitoring).
 * - `whisper`: hears everyone, heard only by its `target` member(s) (coaching).
 * - `barge`: like `normal` — the supervisor joined the call openly.
 */
export type MemberMode = 'normal' | 'listen' | 'whisper' | 'barge';

/**
 * How the mix is kept inside 16 bits:
 * - `saturate`: hard clip at -32768/32767 (exact below full scale).
 * - `soft`: identical below a knee at -2.5 dBFS (24576); above it a
 *   memoryless rational curve with slope 1 at the knee that approaches full
 *   scale asymptotically, so overloads round off instead of flat-topping.
 */
export type LimiterKind = 'saturate' | 'soft';

export interface MixerOptions {
  sampleRate: MixerSampleRate;
  /** Frame duration in ms (default 20); `sampleRate * frameMs / 1000` must be whole. */
  frameMs?: number;
  /** Clipping protection (default `saturate`). */
  limiter?: LimiterKind;
  /** Talk detection thresholds (dBFS) and hang-over. */
  talk?: Partial<TalkDetectionOptions>;
  /**
   * Mix only members that talk (default true): the open microphones of a
   * large conference add their noise otherwise, and gating keeps the common
   * case — a few talkers — cheap. Hang-over keeps word tails.
   */
  gate?: boolean;
  /** Upper bound on members (default 1000, at most 4096). */
  maxMembers?: number;
}

export const MIXER_DEFAULTS = Object.freeze({
  frameMs: 20,
  limiter: 'saturate' as LimiterKind,
  gate: true,
  maxMembers: 1000,
});

/** Largest linear gain accepted for `gainIn`/`gainOut` (+18 dB). */
export const MAX_GAIN = 8;
const MAX_MEMBERS_LIMIT = 4096;

export interface MemberOptions {
  muted?: boolean;
  deaf?: boolean;
  /** Linear gain applied to what this member says (0 … 8, default 1). */
  gainIn?: number;
  /** Linear gain applied to what this member hears (0 … 8, default 1). */
  gainOut?: number;
  mode?: MemberMode;
  /** Whisper target(s); required with `mode: 'whisper'`. */
  target?: string | readonly string[];
  /**
   * Talk-gate this member (default: the mixer's `gate`). Turn it off for
   * sources that must always be mixed when present: a link to a bridge
   * half in another worker (already gated there), a player, music.
   */
  gate?: boolean;
}

/** What a caller can read about a member: the state applied at the last tick. */
export interface MixerMember {
  readonly id: string;
  /** This member's mixed audio, rewritten by every {@link Mixer.mixTick}. */
  readonly output: Int16Array;
  readonly talking: boolean;
  /** RMS level of the last input frame in dBFS (after `gainIn`, before mute). */
  readonly levelDbfs: number;
  readonly muted: boolean;
  readonly deaf: boolean;
  readonly gainIn: number;
  readonly gainOut: number;
  readonly mode: MemberMode;
  readonly targets: readonly string[];
  /** Whether this member is talk-gated. */
  readonly gate: boolean;
  /** Ticks in which no input frame was supplied (treated as silence). */
  readonly missingFrames: number;
  /** True once the member joined the mix (from the tick after `addMember`). */
  readonly active: boolean;
}

export type MixerEvents = {
  /** A member started talking; `atMs` is the start of the frame, in mixer time. */
  talking: [id: string, atMs: number];
  /** A member stopped talking; `atMs` = start of quiet + hang-over, in mixer time. */
  silent: [id: string, atMs: number];
  close: [];
};

/** Per-tick input: the frame each member sent (absent, null or undefined = silence). */
export interface MixerInputs {
  get(id: string): Int16Array | null | undefined;
}

export interface MixerStats {
  ticks: number;
  members: number;
  /** Output samples that hit the limiter (hard clip or soft knee). */
  limitedSamples: number;
}

const SOFT_KNEE = 24576;
const SOFT_RANGE_HI = 32767 - SOFT_KNEE;
const SOFT_RANGE_LO = 32768 - SOFT_KNEE;

class MemberState implements MixerMember {
  readonly id: string;
  readonly output: Int16Array;
  /** This tick's scaled input (valid when `mixed`). */
  readonly contrib: Int32Array;
  readonly detector: TalkDetector;

  // wanted (set by control calls) — copied to applied at the next tick
  wMuted: boolean;
  wDeaf: boolean;
  wGainIn: number;
  wGainOut: number;
  wMode: MemberMode;
  wTargets: string[];
  wGate: boolean;

  // applied
  muted = false;
  deaf = false;
  gainIn = 1;
  gainOut = 1;
  mode: MemberMode = 'normal';
  targets: readonly string[] = [];
  gate = true;
  active = false;
  missingFrames = 0;

  /** Whether the member is in the common total when it speaks (normal/barge). */
  broadcast = true;
  /** Contributed audio this tick. */
  mixed = false;
  /** Is in this tick's total. */
  inTotal = false;
  /** Listener-side exceptions to the common total: speaker and gain delta. */
  exSpeakers: MemberState[] = [];
  exDelta: Float64Array = new Float64Array(0);

  constructor(id: string, frameSamples: number, detector: TalkDetector, o: MemberOptions, gate: boolean) {
    this.id = id;
    this.output = new Int16Array(frameSamples);
    this.contrib = new Int32Array(frameSamples);
    this.detector = detector;
    this.wMuted = o.muted ?? false;
    this.wDeaf = o.deaf ?? false;
    this.wGainIn = o.gainIn ?? 1;
    this.wGainOut = o.gainOut ?? 1;
    this.wMode = o.mode ?? 'normal';
    this.wTargets = targetList(o.target);
    this.wGate = o.gate ?? gate;
  }

  get talking(): boolean {
    return this.detector.talking;
  }

  get levelDbfs(): number {
    return this.detector.levelDbfs;
  }
}

function targetList(t: string | readonly string[] | undefined): string[] {
  if (t === undefined) return [];
  return typeof t === 'string' ? [t] : [...t];
}

const MODES: readonly MemberMode[] = ['normal', 'listen', 'whisper', 'barge'];

function checkGain(name: string, g: unknown): void {
  if (typeof g !== 'number' || !Number.isFinite(g) || g < 0 || g > MAX_GAIN) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${name} must be a number from 0 to ${MAX_GAIN}`);
  }
}

/**
 * An N-party audio bridge over 16-bit PCM frames at one sample rate.
 *
 * Every tick, the mixer sums the members that speak into one 32-bit total
 * and gives each listener `total − own contribution ± exceptions`, so a
 * member never hears itself and the common case costs O(N) per tick (a
 * listener whose mix equals the clipped total gets a plain copy of it).
 * Per-listener exceptions — whisper targets and explicit per-pair gains from
 * {@link setRelation} — cost O(exceptions) on top. Control calls are queued
 * and take effect together at the start of the next {@link mixTick} (last
 * write wins); nothing is allocated per tick.
 */
export class Mixer extends TypedEmitter<MixerEvents> {
  readonly sampleRate: MixerSampleRate;
  readonly frameMs: number;
  readonly frameSamples: number;
  readonly limiter: LimiterKind;
  readonly gate: boolean;
  readonly maxMembers: number;
  readonly talkOptions: Readonly<TalkDetectionOptions>;

  /** Every member that exists for callers: applied, or added since the last tick. */
  readonly #declared = new Map<string, MemberState>();
  /** Members in the mix, in join order (rebuilt only when membership changes). */
  #active: MemberState[] = [];
  /** Members whose removal waits for the next tick. */
  #leaving: MemberState[] = [];
  /** Wanted per-pair gains: listener → speaker → gain. */
  readonly #relations = new Map<string, Map<string, number>>();
  #dirty = false;
  #closed = false;

  readonly #total: Int32Array;
  readonly #common: Int16Array;
  readonly #scratch: Float64Array;
  #frames: Array<Int16Array | null> = [];
  #events: MemberState[] = [];
  #eventKinds: Uint8Array = new Uint8Array(0);
  #eventTimes: Float64Array = new Float64Array(0);
  #ticks = 0;
  #limited = 0;

  constructor(options: MixerOptions) {
    super();
    const o = { ...MIXER_DEFAULTS, ...options };
    if (o.sampleRate !== 8000 && o.sampleRate !== 16000 && o.sampleRate !== 48000) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'sampleRate must be 8000, 16000 or 48000');
    }
    const frameSamples = (o.sampleRate * o.frameMs) / 1000;
    if (!Number.isInteger(o.frameMs) || o.frameMs < 5 || o.frameMs > 120 || !Number.isInteger(frameSamples)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'frameMs must be a whole number of ms from 5 to 120');
    }
    if (o.limiter !== 'saturate' && o.limiter !== 'soft') {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', "limiter must be 'saturate' or 'soft'");
    }
    if (!Number.isInteger(o.maxMembers) || o.maxMembers < 1 || o.maxMembers > MAX_MEMBERS_LIMIT) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `maxMembers must be an integer from 1 to ${MAX_MEMBERS_LIMIT}`,
      );
    }
    this.sampleRate = o.sampleRate;
    this.frameMs = o.frameMs;
    this.frameSamples = frameSamples;
    this.limiter = o.limiter;
    this.gate = o.gate !== false;
    this.maxMembers = o.maxMembers;
    this.talkOptions = Object.freeze(resolveTalkOptions(o.talk));
    // Worst case |sum| = maxMembers · 32768 · MAX_GAIN < 2^31 for 4096 members at gain 8… within
    // Int32 only up to 8191 members, which the limit above guarantees.
    this.#total = new Int32Array(frameSamples);
    this.#common = new Int16Array(frameSamples);
    this.#scratch = new Float64Array(frameSamples);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Mixer time in ms: ticks mixed × frameMs. */
  get timeMs(): number {
    return this.#ticks * this.frameMs;
  }

  /** Number of members callers can address (including ones joining at the next tick). */
  get size(): number {
    return this.#declared.size;
  }

  get stats(): MixerStats {
    return { ticks: this.#ticks, members: this.#active.length, limitedSamples: this.#limited };
  }

  has(id: string): boolean {
    return this.#declared.has(id);
  }

  /** The member's state as applied at the last tick. */
  member(id: string): MixerMember {
    return this.#get(id);
  }

  /** The member's preallocated output frame. */
  output(id: string): Int16Array {
    return this.#get(id).output;
  }

  memberIds(): string[] {
    return [...this.#declared.keys()];
  }

  /** Adds a member; it joins the mix at the next tick. Returns its (live) view. */
  addMember(id: string, options: MemberOptions = {}): MixerMember {
    this.#open();
    if (typeof id !== 'string' || id.length === 0) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'member id must be a non-empty string');
    }
    if (this.#declared.has(id))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `member ${id} already exists`);
    if (this.#declared.size >= this.maxMembers) {
      throw new StrowgerError('ERR_INVALID_STATE', `mixer is full (${this.maxMembers} members)`);
    }
    if (options.gainIn !== undefined) checkGain('gainIn', options.gainIn);
    if (options.gainOut !== undefined) checkGain('gainOut', options.gainOut);
    if (options.mode !== undefined) this.#checkMode(id, options.mode, options.target);
    const m = new MemberState(
      id,
      this.frameSamples,
      new TalkDetector(this.talkOptions, this.frameSamples, this.frameMs),
      options,
      this.gate,
    );
    this.#declared.set(id, m);
    this.#dirty = true;
    return m;
  }

  /** Removes a member at the next tick; its relations go with it. */
  removeMember(id: string): void {
    this.#open();
    const m = this.#get(id);
    this.#declared.delete(id);
    this.#relations.delete(id);
    for (const r of this.#relations.values()) r.delete(id);
    if (m.active) this.#leaving.push(m);
    this.#dirty = true;
  }

  /** Sets a member's mode (listen / whisper / barge / normal); whisper needs `target`. */
  setMode(id: string, mode: MemberMode, target?: string | readonly string[]): void {
    this.#open();
    const m = this.#get(id);
    this.#checkMode(id, mode, target);
    m.wMode = mode;
    m.wTargets = mode === 'whisper' ? targetList(target) : [];
    this.#dirty = true;
  }

  /**
   * Sets the gain with which `listener` hears `speaker` (0 … 8), overriding
   * what the modes say; `null` removes the override. Mute and deaf still win.
   */
  setRelation(listener: string, speaker: string, gain: number | null): void {
    this.#open();
    this.#get(listener);
    this.#get(speaker);
    if (listener === speaker) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a member never hears itself; no relation to itself');
    }
    let row = this.#relations.get(listener);
    if (gain === null) {
      row?.delete(speaker);
      if (row?.size === 0) this.#relations.delete(listener);
    } else {
      checkGain('gain', gain);
      if (!row) {
        row = new Map();
        this.#relations.set(listener, row);
      }
      row.set(speaker, gain);
    }
    this.#dirty = true;
  }

  /** The gain override set with {@link setRelation}, if any (as wanted, not yet applied). */
  relation(listener: string, speaker: string): number | undefined {
    return this.#relations.get(listener)?.get(speaker);
  }

  /** Mutes (nobody hears the member) or unmutes it. */
  mute(id: string, muted = true): void {
    this.#open();
    this.#get(id).wMuted = muted;
    this.#dirty = true;
  }

  /** Deafens (the member hears nothing) or undeafens it. */
  deafen(id: string, deaf = true): void {
    this.#open();
    this.#get(id).wDeaf = deaf;
    this.#dirty = true;
  }

  /** Sets linear gains (0 … 8) on what the member says (`in`) and hears (`out`). */
  setGain(id: string, gains: { in?: number; out?: number }): void {
    this.#open();
    const m = this.#get(id);
    if (gains.in !== undefined) checkGain('gain.in', gains.in);
    if (gains.out !== undefined) checkGain('gain.out', gains.out);
    if (gains.in !== undefined) m.wGainIn = gains.in;
    if (gains.out !== undefined) m.wGainOut = gains.out;
    this.#dirty = true;
  }

  /**
   * Mixes one frame for every member: applies queued control changes, reads
   * each member's input (absent = silence; a frame must be an Int16Array of
   * `frameSamples`), runs talk detection and writes every member's `output`.
   * Emits `talking`/`silent` after the outputs are written.
   */
  mixTick(inputs: MixerInputs): void {
    this.#open();
    if (this.#dirty) this.#apply();
    const L = this.frameSamples;
    const active = this.#active;
    const n = active.length;
    const frames = this.#frames;

    // Pass 0: look up and check inputs before touching any state.
    for (let k = 0; k < n; k++) {
      const f = inputs.get((active[k] as MemberState).id);
      if (f === undefined || f === null) {
        frames[k] = null;
      } else if (!(f instanceof Int16Array) || f.length !== L) {
        throw new StrowgerError(
          'ERR_INVALID_ARGUMENT',
          `input of member ${(active[k] as MemberState).id} must be an Int16Array of ${L} samples`,
        );
      } else {
        frames[k] = f;
      }
    }

    // Pass 1: talk detection, contributions, total.
    const total = this.#total;
    total.fill(0);
    let events = 0;
    const startMs = this.#ticks * this.frameMs;
    for (let k = 0; k < n; k++) {
      const m = active[k] as MemberState;
      const f = frames[k] as Int16Array | null;
      let sumSq = 0;
      if (f === null) {
        m.missingFrames++;
      } else {
        // energy first (read-only); most members of a big bridge stop here
        for (let i = 0; i < L; i++) {
          const v = f[i] as number;
          sumSq += v * v;
        }
        sumSq *= m.gainIn * m.gainIn;
      }
      const t = m.detector.update(sumSq);
      if (t !== 0) {
        this.#events[events] = m;
        this.#eventKinds[events] = t;
        this.#eventTimes[events] = t === TALK_STARTED ? startMs : startMs + this.frameMs;
        events++;
      }
      m.mixed = f !== null && !m.muted && (!m.gate || m.detector.talking);
      m.inTotal = m.mixed && m.broadcast;
      if (!m.mixed) continue;
      const src = f as Int16Array;
      const c = m.contrib;
      const g = m.gainIn;
      if (g === 1) {
        if (m.inTotal) {
          for (let i = 0; i < L; i++) {
            const v = src[i] as number;
            c[i] = v;
            total[i] = (total[i] as number) + v;
          }
        } else {
          for (let i = 0; i < L; i++) c[i] = src[i] as number;
        }
      } else {
        for (let i = 0; i < L; i++) {
          const v = Math.round((src[i] as number) * g);
          c[i] = v;
          if (m.inTotal) total[i] = (total[i] as number) + v;
        }
      }
    }

    // Pass 2: every listener's output.
    let commonReady = false;
    const soft = this.limiter === 'soft';
    for (let k = 0; k < n; k++) {
      const m = active[k] as MemberState;
      const out = m.output;
      if (m.deaf) {
        out.fill(0);
        continue;
      }
      const exS = m.exSpeakers;
      let exActive = 0;
      for (let e = 0; e < exS.length; e++) if ((exS[e] as MemberState).mixed) exActive++;
      const gOut = m.gainOut;
      if (!m.inTotal && exActive === 0 && gOut === 1) {
        if (!commonReady) {
          this.#limited += limitInto(this.#common, total, L, soft);
          commonReady = true;
        }
        out.set(this.#common);
        continue;
      }
      if (m.inTotal && exActive === 0 && gOut === 1) {
        // the usual talker: everyone but itself, in one pass
        this.#limited += limitDiffInto(out, total, m.contrib, L, soft);
        continue;
      }
      const s = this.#scratch;
      if (m.inTotal) {
        const c = m.contrib;
        for (let i = 0; i < L; i++) s[i] = (total[i] as number) - (c[i] as number);
      } else {
        for (let i = 0; i < L; i++) s[i] = total[i] as number;
      }
      if (exActive > 0) {
        const d = m.exDelta;
        for (let e = 0; e < exS.length; e++) {
          const sp = exS[e] as MemberState;
          if (!sp.mixed) continue;
          const g = d[e] as number;
          const c = sp.contrib;
          for (let i = 0; i < L; i++) s[i] = (s[i] as number) + g * (c[i] as number);
        }
      }
      if (gOut !== 1) for (let i = 0; i < L; i++) s[i] = Math.round((s[i] as number) * gOut);
      else if (exActive > 0) for (let i = 0; i < L; i++) s[i] = Math.round(s[i] as number);
      this.#limited += limitInto(out, s, L, soft);
    }

    for (let k = 0; k < n; k++) frames[k] = null;
    this.#ticks++;
    for (let e = 0; e < events; e++) {
      const m = this.#events[e] as MemberState;
      const at = this.#eventTimes[e] as number;
      if (this.#eventKinds[e] === TALK_STOPPED) this.safeEmit('silent', m.id, at);
      else this.safeEmit('talking', m.id, at);
    }
  }

  /** Idempotent: drops every member and emits `close` once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#declared.clear();
    this.#active = [];
    this.#leaving = [];
    this.#relations.clear();
    this.safeEmit('close');
  }

  #open(): void {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'mixer is closed');
  }

  #get(id: string): MemberState {
    const m = this.#declared.get(id);
    if (!m) throw new StrowgerError('ERR_INVALID_ARGUMENT', `no member ${String(id)} in this mixer`);
    return m;
  }

  #checkMode(id: string, mode: MemberMode, target: string | readonly string[] | undefined): void {
    if (!MODES.includes(mode)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `mode must be one of ${MODES.join(', ')}`);
    }
    if (mode !== 'whisper') return;
    const targets = targetList(target);
    if (targets.length === 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'whisper needs a target member');
    for (const t of targets) {
      if (t === id) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a member cannot whisper to itself');
      if (!this.#declared.has(t))
        throw new StrowgerError('ERR_INVALID_ARGUMENT', `no member ${t} in this mixer`);
    }
  }

  /** Applies every queued change: membership, settings, and the exception lists. */
  #apply(): void {
    this.#dirty = false;
    for (const m of this.#leaving) {
      m.active = false;
      m.detector.reset();
    }
    this.#leaving = [];
    const active: MemberState[] = [];
    for (const m of this.#declared.values()) {
      m.active = true;
      m.muted = m.wMuted;
      m.deaf = m.wDeaf;
      m.gainIn = m.wGainIn;
      m.gainOut = m.wGainOut;
      m.gate = m.wGate;
      m.mode = m.wMode;
      // a whisper target that left since is simply dropped
      m.targets = m.wTargets.filter((t) => this.#declared.has(t));
      m.broadcast = m.mode === 'normal' || m.mode === 'barge';
      m.mixed = false;
      m.inTotal = false;
      active.push(m);
    }
    this.#active = active;
    // Exceptions: listener → speaker → effective gain where it differs from the speaker's base.
    const wanted = new Map<MemberState, Map<MemberState, number>>();
    const put = (l: MemberState, s: MemberState, g: number) => {
      let row = wanted.get(l);
      if (!row) {
        row = new Map();
        wanted.set(l, row);
      }
      row.set(s, g);
    };
    for (const s of active) {
      if (s.mode !== 'whisper') continue;
      for (const t of s.targets) put(this.#declared.get(t) as MemberState, s, 1);
    }
    for (const [lid, row] of this.#relations) {
      const l = this.#declared.get(lid);
      if (!l) continue;
      for (const [sid, g] of row) {
        const s = this.#declared.get(sid);
        if (s) put(l, s, g);
      }
    }
    for (const m of active) {
      const row = wanted.get(m);
      const speakers: MemberState[] = [];
      const deltas: number[] = [];
      if (row) {
        for (const [s, g] of row) {
          const delta = g - (s.broadcast ? 1 : 0);
          if (delta !== 0) {
            speakers.push(s);
            deltas.push(delta);
          }
        }
      }
      m.exSpeakers = speakers;
      m.exDelta = Float64Array.from(deltas);
    }
    if (this.#frames.length < active.length) this.#frames = new Array(active.length).fill(null);
    if (this.#events.length < active.length) {
      this.#events = new Array(active.length);
      this.#eventKinds = new Uint8Array(active.length);
      this.#eventTimes = new Float64Array(active.length);
    }
  }
}

/** `out = limit(total − own)`: the talker's mix in one pass. Returns how many samples were limited. */
function limitDiffInto(
  out: Int16Array,
  total: Int32Array,
  own: Int32Array,
  n: number,
  soft: boolean,
): number {
  if (soft) {
    let limited = 0;
    for (let i = 0; i < n; i++) {
      const v = (total[i] as number) - (own[i] as number);
      if (v > SOFT_KNEE || v < -SOFT_KNEE) {
        out[i] = softLimit(v);
        limited++;
      } else out[i] = v;
    }
    return limited;
  }
  let limited = 0;
  for (let i = 0; i < n; i++) {
    let v = (total[i] as number) - (own[i] as number);
    if (v > 32767) {
      v = 32767;
      limited++;
    } else if (v < -32768) {
      v = -32768;
      limited++;
    }
    out[i] = v;
  }
  return limited;
}

/** The soft limiter's curve for |v| above the knee. */
function softLimit(v: number): number {
  if (v > 0) {
    const a = v - SOFT_KNEE;
    return SOFT_KNEE + Math.round((a * SOFT_RANGE_HI) / (a + SOFT_RANGE_HI));
  }
  const a = -SOFT_KNEE - v;
  return -SOFT_KNEE - Math.round((a * SOFT_RANGE_LO) / (a + SOFT_RANGE_LO));
}

/**
 * Writes `src` (sums, may exceed 16 bits) into `out` with the limiter;
 * returns how many samples were limited.
 */
function limitInto(out: Int16Array, src: Int32Array | Float64Array, n: number, soft: boolean): number {
  let limited = 0;
  if (soft) {
    for (let i = 0; i < n; i++) {
      const v = src[i] as number;
      if (v > SOFT_KNEE || v < -SOFT_KNEE) {
        out[i] = softLimit(v);
        limited++;
      } else out[i] = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let v = src[i] as number;
      if (v > 32767) {
        v = 32767;
        limited++;
      } else if (v < -32768) {
        v = -32768;
        limited++;
      }
      out[i] = v;
    }
  }
  return limited;
}
