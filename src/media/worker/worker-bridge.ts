/**
 * A conference bridge (or one half of one) inside a media worker: a Mixer at
 * the bridge rate whose members are this worker's endpoints, plus hidden
 * members for links to the bridge's halves in other workers (`#link:n`), for
 * what the bridge plays to everyone (`#play`) and for a mono recording
 * (`#rec`, a listener that hears the common mix).
 *
 * Per tick: every member's jitter buffer and decoder give one frame at the
 * codec's rate, converted to the bridge rate; links give the other halves'
 * frames; the player its frame; the mixer mixes (control changes queued
 * since the last tick apply now); every member's own mix is converted to its
 * codec's rate and encoded — unless a player on that endpoint owns its
 * output for the moment — and each link's output goes across.
 */
import { StrowgerError } from '../../core/index.js';
import { type MemberMode, Mixer, type MixerInputs, type MixerSampleRate } from '../mixer/index.js';
import { BridgeLink } from './bridge-link.js';
import { pcmRateFor } from './media-format.js';
import type { PlaylistPlayer } from './players.js';
import type { WorkerEvent } from './protocol.js';
import { RateAdapter } from './rate-adapter.js';
import type { Recorder } from './recorder.js';
import type { PlayEndReason, PlayOptions, PlayResult } from './types.js';
import { MODE_BRIDGE, MODE_IDLE, type WorkerEndpoint } from './worker-endpoint.js';

/** How a member takes part (endpoint ids for whisper targets). */
export interface BridgeMemberSettings {
  mode?: MemberMode;
  /** Whisper targets: endpoint ids of members of this half. */
  whisperTo?: number[];
  muted?: boolean;
  deaf?: boolean;
  gainIn?: number;
  gainOut?: number;
}

/** Options of the bridge's mixer. */
export interface BridgeMixerOptions {
  limiter?: 'saturate' | 'soft';
  gate?: boolean;
  talk?: { onDbfs?: number; offDbfs?: number; hangoverMs?: number };
  maxMembers?: number;
}

export interface BridgeEnvironment {
  readonly tickMs: number;
  emit(event: WorkerEvent): void;
}

const PLAY_ID = '#play';
const REC_ID = '#rec';

class Member {
  readonly ep: WorkerEndpoint;
  readonly id: string;
  codecRate = 0;
  rxFrame = new Int16Array(0);
  rxAdapter: RateAdapter | undefined;
  txAdapter: RateAdapter | undefined;
  /** The frame handed to the mixer this tick (null: nothing). */
  input: Int16Array | null = null;

  constructor(ep: WorkerEndpoint) {
    this.ep = ep;
    this.id = String(ep.id);
  }
}

class Inputs implements MixerInputs {
  readonly map = new Map<string, Int16Array | null>();
  get(id: string): Int16Array | null | undefined {
    return this.map.get(id);
  }
}

interface Playing {
  player: PlaylistPlayer;
  options: PlayOptions;
  resolve(result: PlayResult): void;
}

interface BridgeRecording {
  recorder: Recorder;
  left: number[] | undefined;
  right: number[] | undefined;
}

export class WorkerBridge {
  readonly id: number;
  readonly sampleRate: MixerSampleRate;
  readonly home: boolean;
  readonly mixer: Mixer;
  readonly frameSamples: number;
  readonly #env: BridgeEnvironment;
  readonly #members = new Map<number, Member>();
  #list: Member[] = [];
  readonly #links = new Map<number, BridgeLink>();
  #linkList: BridgeLink[] = [];
  readonly #inputs = new Inputs();
  readonly #playFrame: Int16Array;
  #playing: Playing | undefined;
  #recording: BridgeRecording | undefined;
  readonly #sumL: Int32Array;
  readonly #sumR: Int32Array;
  readonly #recL: Int16Array;
  readonly #recR: Int16Array;
  #closed = false;

  constructor(
    id: number,
    sampleRate: MixerSampleRate,
    home: boolean,
    options: BridgeMixerOptions,
    env: BridgeEnvironment,
  ) {
    this.id = id;
    this.sampleRate = sampleRate;
    this.home = home;
    this.#env = env;
    this.mixer = new Mixer({
      sampleRate,
      frameMs: env.tickMs,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.gate === undefined ? {} : { gate: options.gate }),
      ...(options.talk ? { talk: options.talk } : {}),
      maxMembers: Math.min(4096, (options.maxMembers ?? 1000) + 64),
    });
    this.frameSamples = this.mixer.frameSamples;
    this.#playFrame = new Int16Array(this.frameSamples);
    this.#sumL = new Int32Array(this.frameSamples);
    this.#sumR = new Int32Array(this.frameSamples);
    this.#recL = new Int16Array(this.frameSamples);
    this.#recR = new Int16Array(this.frameSamples);
    if (home) this.mixer.addMember(PLAY_ID, { deaf: true, gate: false });
    this.mixer.on('talking', (mid, atMs) => this.#talk(mid, true, atMs));
    this.mixer.on('silent', (mid, atMs) => this.#talk(mid, false, atMs));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get memberCount(): number {
    return this.#members.size;
  }

  get linkCount(): number {
    return this.#links.size;
  }

  get recording(): Recorder | undefined {
    return this.#recording?.recorder;
  }

  has(endpointId: number): boolean {
    return this.#members.has(endpointId);
  }

  #talk(mid: string, talking: boolean, atMs: number): void {
    if (mid.charCodeAt(0) === 35 /* '#' */) return;
    this.#env.emit({ kind: 'event', type: 'talk', bridge: this.id, endpoint: Number(mid), talking, atMs });
  }

  #check(): void {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', `bridge ${this.id} is closed`);
  }

  #mixerOptions(s: BridgeMemberSettings) {
    const o: Parameters<Mixer['addMember']>[1] = {};
    if (s.mode !== undefined) o.mode = s.mode;
    if (s.whisperTo !== undefined) o.target = s.whisperTo.map(String);
    if (s.muted !== undefined) o.muted = s.muted;
    if (s.deaf !== undefined) o.deaf = s.deaf;
    if (s.gainIn !== undefined) o.gainIn = s.gainIn;
    if (s.gainOut !== undefined) o.gainOut = s.gainOut;
    return o;
  }

  /** Joins `ep` (idle, with an audio codec): it is mixed from the next tick. */
  async add(ep: WorkerEndpoint, settings: BridgeMemberSettings): Promise<void> {
    this.#check();
    if (ep.mode !== MODE_IDLE) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        `endpoint ${ep.id} is already connected (session ${ep.sessionId}${ep.bridge ? `, bridge ${ep.bridge.id}` : ''})`,
      );
    }
    const audio = ep.format.audio;
    if (!audio) throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${ep.id} has no audio codec`);
    const member = new Member(ep);
    // checked by the mixer first (targets, gains), so a bad member never half-joins
    this.mixer.addMember(member.id, this.#mixerOptions(settings));
    ep.mode = MODE_BRIDGE;
    ep.bridge = this;
    ep.transcodeRate = pcmRateFor(audio, this.sampleRate);
    this.#members.set(ep.id, member);
    this.#list = [...this.#members.values()];
    try {
      await ep.reconfigure();
    } catch (err) {
      if (this.#members.get(ep.id) === member) this.#detach(member);
      await ep.reconfigure().catch(() => {});
      throw err;
    }
    if (this.#members.get(ep.id) !== member) {
      throw new StrowgerError('ERR_CLOSED', `endpoint ${ep.id} left bridge ${this.id} while joining`);
    }
  }

  /** Changes a member's settings (applied at the next tick). */
  update(endpointId: number, s: BridgeMemberSettings): void {
    this.#check();
    const m = this.#members.get(endpointId);
    if (!m)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `endpoint ${endpointId} is not in bridge ${this.id}`);
    const mx = this.mixer;
    // validate everything before changing anything
    if (s.mode !== undefined) {
      const probe = s.mode === 'whisper' ? (s.whisperTo ?? []).map(String) : undefined;
      if (s.mode === 'whisper' && (!probe || probe.length === 0)) {
        throw new StrowgerError('ERR_INVALID_ARGUMENT', 'whisper needs whisperTo');
      }
      for (const t of probe ?? []) {
        if (!mx.has(t) || t === m.id) {
          throw new StrowgerError(
            'ERR_INVALID_ARGUMENT',
            `whisper target ${t} is not another member of this bridge half`,
          );
        }
      }
    }
    for (const g of [s.gainIn, s.gainOut]) {
      if (g !== undefined && !(typeof g === 'number' && g >= 0 && g <= 8)) {
        throw new StrowgerError('ERR_INVALID_ARGUMENT', 'gains must be 0 … 8');
      }
    }
    if (s.mode !== undefined)
      mx.setMode(m.id, s.mode, s.mode === 'whisper' ? (s.whisperTo ?? []).map(String) : undefined);
    if (s.muted !== undefined) mx.mute(m.id, s.muted);
    if (s.deaf !== undefined) mx.deafen(m.id, s.deaf);
    if (s.gainIn !== undefined || s.gainOut !== undefined) {
      mx.setGain(m.id, {
        ...(s.gainIn === undefined ? {} : { in: s.gainIn }),
        ...(s.gainOut === undefined ? {} : { out: s.gainOut }),
      });
    }
  }

  #detach(m: Member): void {
    this.#members.delete(m.ep.id);
    this.#inputs.map.delete(m.id);
    this.#list = [...this.#members.values()];
    if (!this.mixer.closed && this.mixer.has(m.id)) this.mixer.removeMember(m.id);
    const ep = m.ep;
    if (ep.bridge === this) {
      ep.clearConnection();
      ep.bridge = undefined;
      ep.out.remap();
    }
  }

  /** Takes `endpointId` out (back to idle, reconfigured). Returns false if it was not a member. */
  async remove(endpointId: number): Promise<boolean> {
    const m = this.#members.get(endpointId);
    if (!m) return false;
    this.#detach(m);
    if (!m.ep.closed) await m.ep.reconfigure();
    return true;
  }

  /** Synchronous removal (the endpoint is closing). */
  drop(endpointId: number): void {
    const m = this.#members.get(endpointId);
    if (m) this.#detach(m);
  }

  // ------------------------------------------------------------------ links

  link(id: number, ringIn: SharedArrayBuffer, ringOut: SharedArrayBuffer, prefillFrames: number): void {
    this.#check();
    if (this.#links.has(id))
      throw new StrowgerError('ERR_INVALID_STATE', `bridge ${this.id} has link ${id} already`);
    const l = new BridgeLink(id, ringIn, ringOut, prefillFrames);
    if (l.frame.length !== this.frameSamples) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `link frames of ${l.frame.length} samples, bridge frames of ${this.frameSamples}`,
      );
    }
    this.mixer.addMember(l.memberId, { gate: false });
    this.#links.set(id, l);
    this.#linkList = [...this.#links.values()];
  }

  unlink(id: number): void {
    const l = this.#links.get(id);
    if (!l) return;
    this.#links.delete(id);
    this.#linkList = [...this.#links.values()];
    this.#inputs.map.delete(l.memberId);
    if (!this.mixer.closed) this.mixer.removeMember(l.memberId);
  }

  // ------------------------------------------------------------------ playback

  /** Plays to every member until the end, a stop, a replacement or a barge-in digit. */
  play(player: PlaylistPlayer, options: PlayOptions): Promise<PlayResult> {
    this.#check();
    if (!this.home) throw new StrowgerError('ERR_INVALID_STATE', 'only the home half of a bridge plays');
    return new Promise<PlayResult>((resolve) => {
      this.#finishPlay('replaced');
      this.#playing = { player, options, resolve };
      this.#env.emit({ kind: 'event', type: 'bridgePlaying', bridge: this.id });
    });
  }

  #finishPlay(reason: PlayEndReason, digit?: string): void {
    const p = this.#playing;
    if (!p) return;
    this.#playing = undefined;
    p.player.close();
    const result: PlayResult = { completed: reason === 'completed', reason, playedMs: p.player.playedMs };
    if (digit !== undefined) result.digit = digit;
    p.resolve(result);
  }

  /** stop / pause / resume the bridge's playback; `digit`: a barge-in reported by the host. */
  controlPlay(action: 'stop' | 'pause' | 'resume', digit?: string): void {
    const p = this.#playing;
    if (!p) return;
    if (action === 'pause') p.player.paused = true;
    else if (action === 'resume') p.player.paused = false;
    else if (digit !== undefined) {
      if (p.options.bargeIn) this.#finishPlay('barge-in', digit);
    } else this.#finishPlay('stopped');
  }

  /** A digit began on a member: barge-in. */
  digitBegan(digit: string): void {
    if (this.#playing?.options.bargeIn) this.#finishPlay('barge-in', digit);
  }

  // ------------------------------------------------------------------ recording

  /** Records the common mix (mono) or the listed members' voices per channel (stereo). */
  record(recorder: Recorder, left?: number[], right?: number[]): void {
    this.#check();
    if (this.#recording && !this.#recording.recorder.ended) {
      throw new StrowgerError('ERR_INVALID_STATE', `bridge ${this.id} is recording already`);
    }
    if (recorder.frameSamples !== this.frameSamples) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'a bridge records at the bridge rate');
    }
    for (const id of [...(left ?? []), ...(right ?? [])]) {
      if (!this.#members.has(id)) {
        throw new StrowgerError(
          'ERR_INVALID_STATE',
          `endpoint ${id} is not a member of bridge ${this.id} in this worker (stereo channels name members of the home worker)`,
        );
      }
    }
    if (recorder.channels === 1 && !this.mixer.has(REC_ID))
      this.mixer.addMember(REC_ID, { mode: 'listen', gate: false });
    this.#recording = { recorder, left, right };
  }

  #endRecording(): void {
    this.#recording = undefined;
    if (!this.mixer.closed && this.mixer.has(REC_ID)) this.mixer.removeMember(REC_ID);
  }

  // ------------------------------------------------------------------ the tick

  tick(now: number): void {
    if (this.#closed) return;
    const inputs = this.#inputs.map;
    const list = this.#list;
    const L = this.frameSamples;
    for (let k = 0; k < list.length; k++) {
      const m = list[k] as Member;
      const ep = m.ep;
      const rx = ep.rxPipe;
      if (rx === undefined || ep.mode !== MODE_BRIDGE) {
        m.input = null;
        inputs.set(m.id, null);
        continue;
      }
      if (m.codecRate !== ep.transcodeRate || m.rxFrame.length !== rx.frameSamples)
        this.#setup(m, rx.frameSamples);
      rx.pull(now, m.rxFrame);
      m.input = m.rxAdapter ? m.rxAdapter.process(m.rxFrame) : m.rxFrame;
      inputs.set(m.id, m.input);
    }
    const links = this.#linkList;
    for (let k = 0; k < links.length; k++) {
      const l = links[k] as BridgeLink;
      inputs.set(l.memberId, l.pull());
    }
    const playing = this.#playing;
    if (playing) {
      playing.player.fill(this.#playFrame);
      inputs.set(PLAY_ID, this.#playFrame);
    } else if (this.home) {
      inputs.set(PLAY_ID, null);
    }
    this.mixer.mixTick(this.#inputs);
    for (let k = 0; k < list.length; k++) {
      const m = list[k] as Member;
      const ep = m.ep;
      const tx = ep.txPipe;
      if (tx === undefined || ep.generating || ep.mode !== MODE_BRIDGE || m.codecRate === 0) continue;
      const out = this.mixer.output(m.id);
      if (m.txAdapter) {
        const o = m.txAdapter.process(out);
        tx.write(o, o.length);
      } else {
        tx.write(out, L);
      }
    }
    for (let k = 0; k < links.length; k++) {
      const l = links[k] as BridgeLink;
      l.push(this.mixer.output(l.memberId));
    }
    if (playing?.player.done) this.#finishPlay('completed');
    const rec = this.#recording;
    if (rec) {
      if (rec.recorder.ended) this.#endRecording();
      else if (rec.recorder.channels === 1)
        rec.recorder.write(this.mixer.has(REC_ID) ? this.mixer.output(REC_ID) : null);
      else {
        this.#sumChannel(rec.left, this.#sumL, this.#recL, playing !== undefined);
        this.#sumChannel(rec.right, this.#sumR, this.#recR, playing !== undefined);
        rec.recorder.write(this.#recL, this.#recR);
      }
    }
  }

  /** out = the voices of `ids` (members not muted) plus the bridge's playback, clipped. */
  #sumChannel(ids: number[] | undefined, sum: Int32Array, out: Int16Array, withPlay: boolean): void {
    const L = this.frameSamples;
    sum.fill(0);
    for (const id of ids ?? []) {
      const m = this.#members.get(id);
      const f = m?.input;
      if (!m || !f || this.mixer.member(m.id).muted) continue;
      for (let i = 0; i < L; i++) sum[i] = (sum[i] as number) + (f[i] as number);
    }
    if (withPlay) {
      const p = this.#playFrame;
      for (let i = 0; i < L; i++) sum[i] = (sum[i] as number) + (p[i] as number);
    }
    for (let i = 0; i < L; i++) {
      const v = sum[i] as number;
      out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
    }
  }

  #setup(m: Member, codecFrame: number): void {
    const rate = m.ep.transcodeRate;
    m.codecRate = rate;
    m.rxFrame = new Int16Array(codecFrame);
    const same = rate === this.sampleRate;
    m.rxAdapter = same ? undefined : new RateAdapter(rate, this.sampleRate, codecFrame, this.frameSamples);
    m.txAdapter = same ? undefined : new RateAdapter(this.sampleRate, rate, this.frameSamples, codecFrame);
  }

  /** Figures for `bridge.getStats()`. */
  stats() {
    const s = this.mixer.stats;
    return {
      members: this.#members.size,
      ticks: s.ticks,
      limitedSamples: s.limitedSamples,
      links: this.#linkList.map((l) => ({
        id: l.id,
        buffered: l.buffered,
        underruns: l.underruns,
        dropped: l.dropped,
      })),
    };
  }

  /** Ends playback and recording and returns every member to idle. Idempotent. */
  close(reason: PlayEndReason = 'closed'): WorkerEndpoint[] {
    if (this.#closed) return [];
    const eps = this.#list.map((m) => m.ep);
    this.#finishPlay(reason);
    for (const m of this.#list) this.#detach(m);
    this.#links.clear();
    this.#linkList = [];
    this.#closed = true;
    this.mixer.close();
    return eps;
  }
}
