/**
 * The host side of a conference bridge: a typed proxy over the mixer that
 * runs in the media workers. The bridge lives in a home worker; a member
 * endpoint of another worker joins through a half-bridge there, linked to
 * the home half by two FrameRings (SharedArrayBuffer, no message per frame).
 * Control calls are requests; they take effect at the next 20 ms tick.
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import { createFrameRing, MAX_GAIN, type MemberMode } from '../mixer/index.js';
import { MediaEndpoint } from './endpoint.js';
import type { BridgeStats, Command, CommandResults, RecordTarget } from './protocol.js';
import { checkRecordingOptions } from './recorder.js';
import type { MediaRecording } from './recording.js';
import type {
  EndReason,
  PlayInput,
  PlayOptions,
  PlayResult,
  RecordingOptions,
  RecordingResult,
} from './types.js';
import type { BridgeMemberSettings, BridgeMixerOptions } from './worker-bridge.js';

/** How a member takes part in a bridge. */
export interface BridgeMemberOptions {
  /**
   * - `normal` (default): hears everyone else, heard by everyone else;
   * - `listen`: hears everyone, heard by nobody (silent monitoring);
   * - `whisper`: hears everyone, heard only by `whisperTo` (coaching an agent);
   * - `barge`: like normal — the supervisor joined openly.
   */
  mode?: MemberMode;
  /** Whisper target(s): members of the bridge in the same worker. */
  whisperTo?: MediaEndpoint | readonly MediaEndpoint[];
  /** Nobody hears the member (its talk detection still runs). */
  muted?: boolean;
  /** The member hears nothing. */
  deaf?: boolean;
  /** Linear gain of what the member says (0 … 8; `dbToGain()` converts dB). */
  gainIn?: number;
  /** Linear gain of what the member hears (0 … 8). */
  gainOut?: number;
}

export interface CreateBridgeOptions {
  /** Mixing rate (default 8000): members are decoded and resampled to it, and their mix encoded back. */
  sampleRate?: 8000 | 16000 | 48000;
  /** Home worker (default: the least loaded). Members of other workers join through linked halves. */
  worker?: number;
  /** Clipping protection of the mix (default 'saturate'). */
  limiter?: 'saturate' | 'soft';
  /** Mix only members that talk (default true). */
  gate?: boolean;
  /** Talk detection: `onDbfs` (-45), `offDbfs` (-50), `hangoverMs` (400). */
  talk?: { onDbfs?: number; offDbfs?: number; hangoverMs?: number };
  /** Most members (default 1000). */
  maxMembers?: number;
  /** Frames a link between workers publishes at once (default 1). */
  linkBatchFrames?: number;
  /** Frames a link keeps in hand against the two workers' tick phase (default `linkBatchFrames + 1`). */
  linkPrefillFrames?: number;
}

export const BRIDGE_DEFAULTS = Object.freeze({
  sampleRate: 8000 as const,
  linkBatchFrames: 1,
  maxMembers: 1000,
});

/** What `bridge.record()` takes. */
export interface BridgeRecordingOptions extends RecordingOptions {
  /**
   * One channel per side: left the voices of `left`, right those of `right`
   * (members of the bridge's home worker; the bridge's playback in both).
   * Without it the file is mono: the mix a silent listener hears.
   */
  stereo?: { left: readonly MediaEndpoint[]; right: readonly MediaEndpoint[] };
}

export type MediaBridgeEvents = {
  /** A member started talking (`atMs`: ms of audio since its half of the bridge started). */
  talking: [endpoint: MediaEndpoint, atMs: number];
  /** A member stopped talking (after the hang-over). */
  silent: [endpoint: MediaEndpoint, atMs: number];
  /** The bridge's playback started. */
  playing: [];
  /** The bridge's playback ended. */
  played: [result: PlayResult];
  recordingEnded: [result: RecordingResult, recording: MediaRecording];
  /** The bridge ended (then `close`): closed, its home worker died, the engine closed. */
  ended: [reason: EndReason];
  close: [];
};

/** What a bridge needs from its engine. @internal */
export interface BridgeLinkToEngine {
  readonly tickMs: number;
  request<C extends Command>(workerIndex: number, command: C): Promise<CommandResults[C['type']]>;
  workerAlive(workerIndex: number): boolean;
  record(workerIndex: number, target: RecordTarget, options: RecordingOptions): Promise<MediaRecording>;
  released(bridge: MediaBridge): void;
}

interface Half {
  /** Resolves when the half exists and is linked (home: at once). */
  ready: Promise<void>;
}

const MODES: readonly string[] = ['normal', 'listen', 'whisper', 'barge'];

export class MediaBridge extends TypedEmitter<MediaBridgeEvents> {
  readonly id: number;
  readonly sampleRate: 8000 | 16000 | 48000;
  /** The worker that plays and records (and holds the members created there). */
  readonly workerIndex: number;
  readonly #link: BridgeLinkToEngine;
  readonly #options: Required<Pick<CreateBridgeOptions, 'linkBatchFrames' | 'linkPrefillFrames'>> & {
    mixer: BridgeMixerOptions;
  };
  readonly #members = new Map<MediaEndpoint, BridgeMemberSettings>();
  readonly #halves = new Map<number, Half>();
  #ended = false;
  #closing: Promise<void> | undefined;
  #bargeInPlay = false;

  /** @internal (created by `MediaEngine.createBridge`) */
  constructor(
    id: number,
    sampleRate: 8000 | 16000 | 48000,
    workerIndex: number,
    options: { linkBatchFrames: number; linkPrefillFrames: number; mixer: BridgeMixerOptions },
    link: BridgeLinkToEngine,
  ) {
    super();
    this.id = id;
    this.sampleRate = sampleRate;
    this.workerIndex = workerIndex;
    this.#options = options;
    this.#link = link;
    this.#halves.set(workerIndex, { ready: Promise.resolve() });
  }

  get closed(): boolean {
    return this.#ended || this.#closing !== undefined;
  }

  /** Member endpoints, in join order. */
  get members(): MediaEndpoint[] {
    return [...this.#members.keys()];
  }

  get size(): number {
    return this.#members.size;
  }

  /** Workers holding a part of the bridge (the home worker first). */
  get workers(): number[] {
    return [...this.#halves.keys()];
  }

  has(endpoint: MediaEndpoint): boolean {
    return this.#members.has(endpoint);
  }

  /** The settings a member has (as last requested). */
  memberOptions(endpoint: MediaEndpoint): Readonly<BridgeMemberOptions> | undefined {
    const s = this.#members.get(endpoint);
    if (!s) return undefined;
    const o: BridgeMemberOptions = { ...s, whisperTo: undefined };
    if (s.whisperTo) o.whisperTo = this.members.filter((e) => s.whisperTo?.includes(e.id));
    else delete o.whisperTo;
    return o;
  }

  #check(): void {
    if (this.closed) throw new StrowgerError('ERR_CLOSED', `bridge ${this.id} is closed`);
  }

  /** Checks member options against the bridge; returns what the worker gets. */
  #settings(endpoint: MediaEndpoint, o: BridgeMemberOptions, partial: boolean): BridgeMemberSettings {
    const bad = (m: string) => new StrowgerError('ERR_INVALID_ARGUMENT', m);
    if (o === null || typeof o !== 'object') throw bad('member options must be an object');
    const s: BridgeMemberSettings = {};
    if (o.mode !== undefined) {
      if (!MODES.includes(o.mode)) throw bad(`mode must be one of ${MODES.join(', ')}`);
      s.mode = o.mode;
    } else if (!partial) s.mode = 'normal';
    if (o.whisperTo !== undefined && s.mode !== 'whisper') throw bad("whisperTo goes with mode: 'whisper'");
    if (s.mode === 'whisper') {
      const targets =
        o.whisperTo === undefined
          ? []
          : o.whisperTo instanceof MediaEndpoint
            ? [o.whisperTo]
            : [...o.whisperTo];
      if (targets.length === 0) throw bad('whisper needs whisperTo (the member(s) to coach)');
      for (const t of targets) {
        if (!(t instanceof MediaEndpoint) || !this.#members.has(t))
          throw bad('whisperTo must name members of this bridge');
        if (t === endpoint) throw bad('a member cannot whisper to itself');
        if (t.workerIndex !== endpoint.workerIndex) {
          throw new StrowgerError(
            'ERR_INVALID_STATE',
            "whisper works between members of one worker: create the supervisor's endpoint with { near: agent }",
          );
        }
      }
      s.whisperTo = targets.map((t) => t.id);
    }
    for (const k of ['muted', 'deaf'] as const) {
      if (o[k] !== undefined) {
        if (typeof o[k] !== 'boolean') throw bad(`${k} must be a boolean`);
        s[k] = o[k];
      }
    }
    for (const k of ['gainIn', 'gainOut'] as const) {
      const g = o[k];
      if (g !== undefined) {
        if (typeof g !== 'number' || !Number.isFinite(g) || g < 0 || g > MAX_GAIN) {
          throw bad(`${k} must be a number from 0 to ${MAX_GAIN}`);
        }
        s[k] = g;
      }
    }
    return s;
  }

  /** Creates the half in `workerIndex` and links it to the home half (once). */
  #half(workerIndex: number): Promise<void> {
    const have = this.#halves.get(workerIndex);
    if (have) return have.ready;
    const link = this.#link;
    const frameSamples = (this.sampleRate * link.tickMs) / 1000;
    const batchFrames = this.#options.linkBatchFrames;
    const ready = (async () => {
      await link.request(workerIndex, {
        type: 'createBridge',
        bridge: this.id,
        sampleRate: this.sampleRate,
        home: false,
        mixer: this.#options.mixer,
      });
      const toRemote = createFrameRing({ frameSamples, capacityFrames: 16, batchFrames });
      const toHome = createFrameRing({ frameSamples, capacityFrames: 16, batchFrames });
      const prefillFrames = this.#options.linkPrefillFrames;
      await link.request(workerIndex, {
        type: 'bridgeLink',
        bridge: this.id,
        link: this.workerIndex,
        ringIn: toRemote,
        ringOut: toHome,
        prefillFrames,
      });
      await link.request(this.workerIndex, {
        type: 'bridgeLink',
        bridge: this.id,
        link: workerIndex,
        ringIn: toHome,
        ringOut: toRemote,
        prefillFrames,
      });
    })();
    this.#halves.set(workerIndex, { ready });
    ready.catch(() => {
      if (this.#halves.get(workerIndex)?.ready === ready) this.#halves.delete(workerIndex);
    });
    return ready;
  }

  /**
   * Adds an endpoint (idle: not in a session or another bridge). It is
   * decoded to the bridge rate and gets its own mix encoded in its codec,
   * from the next tick on.
   */
  async add(endpoint: MediaEndpoint, options: BridgeMemberOptions = {}): Promise<void> {
    this.#check();
    if (!(endpoint instanceof MediaEndpoint))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'add() takes an endpoint');
    if (endpoint.closed) throw new StrowgerError('ERR_CLOSED', `endpoint ${endpoint.id} is closed`);
    if (endpoint._bridge) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        endpoint._bridge === this
          ? `endpoint ${endpoint.id} is a member already`
          : `endpoint ${endpoint.id} is in another bridge`,
      );
    }
    if (endpoint._session) {
      throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${endpoint.id} is in a session: close it first`);
    }
    const settings = this.#settings(endpoint, options, false);
    endpoint._bridge = this;
    this.#members.set(endpoint, settings);
    try {
      await this.#half(endpoint.workerIndex);
      this.#check();
      await this.#link.request(endpoint.workerIndex, {
        type: 'bridgeAdd',
        bridge: this.id,
        endpoint: endpoint.id,
        settings,
      });
    } catch (err) {
      if (this.#members.get(endpoint) === settings) this.#members.delete(endpoint);
      if (endpoint._bridge === this) endpoint._bridge = undefined;
      throw err;
    }
    if (endpoint.closed || !this.#members.has(endpoint)) {
      throw new StrowgerError('ERR_CLOSED', `endpoint ${endpoint.id} left while joining`);
    }
  }

  /** Changes a member's mode, mute, deafness or gains (applied at the next tick). */
  async update(endpoint: MediaEndpoint, options: BridgeMemberOptions): Promise<void> {
    this.#check();
    const current = this.#members.get(endpoint);
    if (!current)
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `endpoint ${endpoint?.id} is not a member of this bridge`,
      );
    const s = this.#settings(endpoint, options, true);
    await this.#link.request(endpoint.workerIndex, {
      type: 'bridgeUpdate',
      bridge: this.id,
      endpoint: endpoint.id,
      settings: s,
    });
    if (this.#members.get(endpoint) === current) {
      const next = { ...current, ...s };
      if (s.mode !== undefined && s.mode !== 'whisper') delete next.whisperTo;
      this.#members.set(endpoint, next);
    }
  }

  /** Takes a member out; the endpoint stays open and idle (it can be connected elsewhere). */
  async remove(endpoint: MediaEndpoint): Promise<void> {
    this.#check();
    if (!this.#members.has(endpoint)) return;
    this.#members.delete(endpoint);
    if (endpoint._bridge === this) endpoint._bridge = undefined;
    if (endpoint.closed) return;
    await this.#link.request(endpoint.workerIndex, {
      type: 'bridgeRemove',
      bridge: this.id,
      endpoint: endpoint.id,
    });
  }

  /**
   * Plays to every member (a tone, prompt, file, or playlist — what
   * `endpoint.play()` takes), mixed with the conference. `bargeIn`: a DTMF
   * digit from any member stops it. Resolves when it ends.
   */
  async play(input: PlayInput, options: PlayOptions = {}): Promise<PlayResult> {
    this.#check();
    this.#bargeInPlay = options.bargeIn === true;
    try {
      const result = await this.#link.request(this.workerIndex, {
        type: 'bridgePlay',
        bridge: this.id,
        source: input,
        options,
      });
      this.safeEmit('played', result);
      return result;
    } finally {
      this.#bargeInPlay = false;
    }
  }

  #playControl(action: 'stop' | 'pause' | 'resume'): Promise<void> {
    this.#check();
    return this.#link
      .request(this.workerIndex, { type: 'bridgePlayControl', bridge: this.id, action })
      .then(() => undefined);
  }

  stopPlay(): Promise<void> {
    return this.#playControl('stop');
  }

  pausePlay(): Promise<void> {
    return this.#playControl('pause');
  }

  resumePlay(): Promise<void> {
    return this.#playControl('resume');
  }

  /**
   * Records the bridge: mono (the common mix: what a silent listener hears)
   * or stereo with `stereo: { left, right }` (the voices of those members,
   * one side per channel). At the bridge rate.
   */
  async record(options: BridgeRecordingOptions): Promise<MediaRecording> {
    this.#check();
    const { stereo, ...rest } = options ?? ({} as BridgeRecordingOptions);
    checkRecordingOptions(rest as RecordingOptions);
    const target: RecordTarget = { kind: 'bridge', bridge: this.id };
    if (stereo !== undefined) {
      if (stereo === null || !Array.isArray(stereo.left) || !Array.isArray(stereo.right)) {
        throw new StrowgerError(
          'ERR_INVALID_ARGUMENT',
          'stereo must be { left: endpoints[], right: endpoints[] }',
        );
      }
      const ids = (list: readonly MediaEndpoint[]) =>
        list.map((e) => {
          if (!(e instanceof MediaEndpoint) || !this.#members.has(e)) {
            throw new StrowgerError(
              'ERR_INVALID_ARGUMENT',
              'stereo channels must name members of this bridge',
            );
          }
          if (e.workerIndex !== this.workerIndex) {
            throw new StrowgerError(
              'ERR_INVALID_STATE',
              `endpoint ${e.id} is in worker ${e.workerIndex}: stereo channels name members of the home worker (${this.workerIndex})`,
            );
          }
          return e.id;
        });
      target.left = ids(stereo.left);
      target.right = ids(stereo.right);
    }
    const rec = await this.#link.record(this.workerIndex, target, rest as RecordingOptions);
    rec.on('ended', (r) => this.safeEmit('recordingEnded', r, rec));
    return rec;
  }

  /** Figures of every half (members, ticks, limited samples, link underruns and drops). */
  async getStats(): Promise<Array<BridgeStats & { workerIndex: number }>> {
    this.#check();
    const ws = this.workers.filter((w) => this.#link.workerAlive(w));
    const all = await Promise.all(
      ws.map((w) => this.#link.request(w, { type: 'bridgeStats', bridge: this.id })),
    );
    return all.map((s, i) => ({ workerIndex: ws[i] as number, ...s }));
  }

  /** Ends the bridge: playback and recording end, members go back to idle (they stay open). Idempotent. */
  close(): Promise<void> {
    return this._end('closed', true);
  }

  /** @internal */
  _end(reason: EndReason, tellWorkers: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#ended) return Promise.resolve();
    const halves = [...this.#halves.keys()];
    this.#closing = (async () => {
      if (tellWorkers) {
        await Promise.all(
          halves
            .filter((w) => this.#link.workerAlive(w))
            .map((w) => this.#link.request(w, { type: 'closeBridge', bridge: this.id }).catch(() => {})),
        );
      }
      this.#finish(reason);
    })();
    if (!tellWorkers) this.#finish(reason);
    return this.#closing;
  }

  #finish(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const ep of this.#members.keys()) if (ep._bridge === this) ep._bridge = undefined;
    this.#members.clear();
    this.#link.released(this);
    this.safeEmit('ended', reason);
    this.safeEmit('close');
  }

  /** @internal A worker died: the whole bridge if it was home, else the half there. */
  _workerDied(workerIndex: number): void {
    if (this.#ended) return;
    if (workerIndex === this.workerIndex) {
      // tell the other halves to let their members go; then end
      void this._end('worker-died', true);
      return;
    }
    if (!this.#halves.has(workerIndex)) return;
    this.#halves.delete(workerIndex);
    for (const ep of [...this.#members.keys()]) {
      if (ep.workerIndex === workerIndex) this.#members.delete(ep);
    }
    if (!this.closed && this.#link.workerAlive(this.workerIndex)) {
      this.#link
        .request(this.workerIndex, { type: 'bridgeUnlink', bridge: this.id, link: workerIndex })
        .catch(() => {});
    }
  }

  /** @internal A member endpoint ended (closed, its worker died). */
  _memberGone(endpoint: MediaEndpoint): void {
    this.#members.delete(endpoint);
    if (endpoint._bridge === this) endpoint._bridge = undefined;
  }

  /** @internal A member in another worker pressed a digit: barge-in on the home worker's playback. */
  _remoteDigit(endpoint: MediaEndpoint, digit: string): void {
    if (!this.#bargeInPlay || this.closed || endpoint.workerIndex === this.workerIndex) return;
    this.#link
      .request(this.workerIndex, { type: 'bridgePlayControl', bridge: this.id, action: 'stop', digit })
      .catch(() => {});
  }

  /** @internal A talk event from a worker. */
  _talk(endpointId: number, talking: boolean, atMs: number): void {
    for (const ep of this.#members.keys()) {
      if (ep.id === endpointId) {
        this.safeEmit(talking ? 'talking' : 'silent', ep, atMs);
        return;
      }
    }
  }

  /** @internal */
  _playing(): void {
    this.safeEmit('playing');
  }
}
