/**
 * The thread side of the media engine: one MediaWorkerRuntime per worker
 * thread owns that worker's endpoints (and so their sockets), its relay and
 * transcoding sessions, and the 20 ms tick. It executes the host's commands
 * and posts responses and events; it is independent of `worker_threads`, so
 * tests run it in-process over a MemoryNetwork and a FakeClock.
 */
import {
  type Clock,
  cryptoRandom,
  type Random,
  realClock,
  StrowgerError,
  serializeError,
} from '../../core/index.js';
import { mediaFormat, naturalRate, pcmRateFor, relayCompatible, validateCodecs } from './media-format.js';
import { createPlayer, type PlayContext, PromptLibrary } from './players.js';
import type { Command, CommandResults, RecordTarget, RequestMessage, WorkerMessage } from './protocol.js';
import { Recorder } from './recorder.js';
import { type MediaSocketFactory, udpSockets } from './sockets.js';
import { PacketTap, TapRecording } from './taps.js';
import { TickScheduler } from './tick-scheduler.js';
import { TranscodeSession } from './transcode-session.js';
import type { EndpointConfig, RecordingOptions, RecordingResult } from './types.js';
import { WorkerBridge } from './worker-bridge.js';
import { MODE_BRIDGE, MODE_IDLE, MODE_RELAY, MODE_TRANSCODE, WorkerEndpoint } from './worker-endpoint.js';

export interface MediaWorkerRuntimeOptions {
  /** Where responses and events go (the worker's `parentPort.postMessage`). */
  post(message: WorkerMessage): void;
  clock?: Clock;
  random?: Random;
  sockets?: MediaSocketFactory;
  /** Media tick, ms (default 20). */
  tickMs?: number;
  /** Ticks run back to back after a stall before older ones are skipped (default 5). */
  maxCatchUpTicks?: number;
  /** How often timeouts, RTCP and stats are looked at (default 200 ms). */
  housekeepingMs?: number;
  /** Thread id reported in worker stats. */
  threadId?: number;
  /** Directory with `<lang>/<prompt>.wav` for playlists of prompt names. */
  promptDirectory?: string;
}

/** A running recording and what it is attached to. */
interface ActiveRecording {
  recorder: Recorder;
  /** Pulled on the tick (leg and call recordings); bridges feed theirs themselves. */
  taps: TapRecording | undefined;
  /** Endpoints whose taps feed it, the session or bridge it records. */
  endpoints: WorkerEndpoint[];
  sessionId: number;
  bridgeId: number;
}

/**
 * Crypto randomness for SSRCs, initial sequence numbers and timestamps
 * (RFC 3550 §5.1) and RTCP intervals. `next()` draws 47 bits (crypto.randomInt
 * takes ranges below 2^48).
 */
const strongRandom: Random = Object.freeze({
  next: () => cryptoRandom.int(2 ** 47) / 2 ** 47,
  int: (max: number) => cryptoRandom.int(max),
  bytes: (n: number) => cryptoRandom.bytes(n),
});

interface Session {
  id: number;
  kind: 'relay' | 'transcode' | 'echo';
  a: WorkerEndpoint;
  b: WorkerEndpoint;
  transcode: TranscodeSession | undefined;
}

export class MediaWorkerRuntime {
  readonly clock: Clock;
  readonly random: Random;
  readonly tickMs: number;
  readonly #post: (message: WorkerMessage) => void;
  readonly #sockets: MediaSocketFactory;
  readonly #endpoints = new Map<number, WorkerEndpoint>();
  readonly #sessions = new Map<number, Session>();
  readonly #ticking: WorkerEndpoint[] = [];
  readonly #transcodes: TranscodeSession[] = [];
  readonly #bridges = new Map<number, WorkerBridge>();
  #bridgeList: WorkerBridge[] = [];
  readonly #recordings = new Map<number, ActiveRecording>();
  #tapRecordings: TapRecording[] = [];
  readonly #play: PlayContext;
  readonly #scheduler: TickScheduler;
  readonly #housekeepEvery: number;
  readonly #threadId: number;
  #tickCount = 0;
  #relayed = 0;
  #closed = false;

  constructor(options: MediaWorkerRuntimeOptions) {
    this.#post = options.post;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? strongRandom;
    this.#sockets = options.sockets ?? udpSockets;
    this.tickMs = options.tickMs ?? 20;
    this.#threadId = options.threadId ?? 0;
    this.#housekeepEvery = Math.max(1, Math.round((options.housekeepingMs ?? 200) / this.tickMs));
    this.#play = { prompts: new PromptLibrary(options.promptDirectory) };
    this.#scheduler = new TickScheduler({
      clock: this.clock,
      periodMs: this.tickMs,
      maxCatchUpTicks: options.maxCatchUpTicks ?? 5,
      onTick: (now) => this.#tick(now),
    });
    this.#scheduler.start();
  }

  /** Endpoints open in this worker. */
  get endpointCount(): number {
    return this.#endpoints.size;
  }

  /** Runs one request and posts its response (never throws). */
  async handle(message: RequestMessage): Promise<void> {
    try {
      const result = await this.execute(message.command);
      this.#post({ kind: 'response', id: message.id, ok: true, result });
    } catch (err) {
      this.#post({ kind: 'response', id: message.id, ok: false, error: serializeError(err) });
    }
  }

  /** Runs one command and returns its result. */
  async execute(command: Command): Promise<CommandResults[Command['type']]> {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'media worker is shutting down');
    if (command === null || typeof command !== 'object') {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'command must be an object');
    }
    switch (command.type) {
      case 'createEndpoint':
        return this.#createEndpoint(command);
      case 'updateEndpoint':
        await this.#updateEndpoint(command.endpoint, command.config);
        return null;
      case 'closeEndpoint':
        this.#closeEndpoint(command.endpoint);
        return null;
      case 'connect':
        await this.#connect(command.session, command.kind, command.a, command.b);
        return null;
      case 'disconnect':
        await this.#disconnect(command.session);
        return null;
      case 'sendDtmf':
        return this.#endpoint(command.endpoint).sendDtmf(command.digits, command.options ?? {});
      case 'play':
        return this.#endpoint(command.endpoint).play(command.source, command.options ?? {});
      case 'playControl':
        this.#endpoint(command.endpoint).controlPlay(command.action);
        return null;
      case 'createBridge':
        this.#createBridge(command);
        return null;
      case 'closeBridge':
        this.#closeBridge(command.bridge);
        return null;
      case 'bridgeLink':
        this.#bridge(command.bridge).link(
          command.link,
          command.ringIn,
          command.ringOut,
          command.prefillFrames,
        );
        return null;
      case 'bridgeUnlink':
        this.#bridges.get(command.bridge)?.unlink(command.link);
        return null;
      case 'bridgeAdd':
        await this.#bridgeAdd(command.bridge, command.endpoint, command.settings);
        return null;
      case 'bridgeUpdate':
        this.#bridge(command.bridge).update(command.endpoint, command.settings);
        return null;
      case 'bridgeRemove':
        await this.#bridgeRemove(command.bridge, command.endpoint);
        return null;
      case 'bridgePlay': {
        const b = this.#bridge(command.bridge);
        const opts = command.options ?? {};
        const player = await createPlayer(command.source, b.sampleRate, this.#play, {
          loop: opts.loop === true,
          frameSamples: b.frameSamples,
        });
        if (b.closed) {
          player.close();
          throw new StrowgerError('ERR_CLOSED', `bridge ${b.id} closed`);
        }
        return b.play(player, { bargeIn: opts.bargeIn === true, loop: opts.loop === true });
      }
      case 'bridgePlayControl':
        this.#bridge(command.bridge).controlPlay(command.action, command.digit);
        return null;
      case 'bridgeStats':
        return this.#bridge(command.bridge).stats();
      case 'record':
        return this.#record(command.recording, command.target, command.options);
      case 'recordControl':
        return this.#recordControl(command.recording, command.action);
      case 'getStats':
        return this.#endpoint(command.endpoint).stats(this.clock.now(), false);
      case 'workerStats': {
        const s = this.#scheduler;
        return {
          threadId: this.#threadId,
          endpoints: this.#endpoints.size,
          sessions: this.#sessions.size,
          tickLoad:
            this.#transcodes.length * 2 +
            this.#ticking.length +
            this.#bridgeList.reduce((n, b) => n + b.memberCount, 0),
          ticks: s.ticks,
          lateTicks: s.lateTicks,
          skippedTicks: s.skippedTicks,
          maxLagMs: s.maxLagMs,
          lagHistogram: Array.from(s.lagHistogram),
          meanTickUs: s.ticks > 0 ? (s.busyMs * 1000) / s.ticks : 0,
          relayedPackets: this.#relayed,
          bridges: this.#bridges.size,
          bridgeMembers: this.#bridgeList.reduce((n, b) => n + b.memberCount, 0),
          recordings: this.#recordings.size,
        };
      }
      case 'shutdown':
        await this.shutdown();
        return null;
      case 'crash':
        // respond first, then die the way a bug would: an uncaught exception
        setTimeout(() => {
          throw new Error('media worker crash requested');
        }, 1);
        return null;
      default:
        throw new StrowgerError(
          'ERR_INVALID_ARGUMENT',
          `unknown command ${JSON.stringify((command as { type?: unknown }).type)}`,
        );
    }
  }

  #endpoint(id: number): WorkerEndpoint {
    const ep = this.#endpoints.get(id);
    if (!ep) throw new StrowgerError('ERR_CLOSED', `endpoint ${id} is not open in this worker`);
    return ep;
  }

  async #createEndpoint(c: Extract<Command, { type: 'createEndpoint' }>): Promise<{ ssrc: number }> {
    validateCodecs(c.config.codecs);
    if (this.#endpoints.has(c.endpoint)) {
      throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${c.endpoint} exists already`);
    }
    const ep = new WorkerEndpoint(c.endpoint, c.config, {
      clock: this.clock,
      random: this.random,
      tickMs: this.tickMs,
      emit: (e) => this.#post(e),
      setTicking: (e, on) => this.#setTicking(e, on),
      countRelayed: () => {
        this.#relayed++;
      },
      play: this.#play,
    });
    await ep.open(this.#sockets, c.bindAddress, c.rtpPort, c.rtcpPort);
    this.#endpoints.set(c.endpoint, ep);
    try {
      await ep.reconfigure();
    } catch (err) {
      this.#closeEndpoint(c.endpoint);
      throw err;
    }
    return { ssrc: ep.out.ssrc };
  }

  async #updateEndpoint(id: number, config: EndpointConfig): Promise<void> {
    validateCodecs(config.codecs);
    const ep = this.#endpoint(id);
    if (ep.mode === MODE_BRIDGE && ep.bridge) {
      const audio = mediaFormat(config.codecs).audio;
      if (!audio) {
        throw new StrowgerError(
          'ERR_INVALID_STATE',
          `endpoint ${id} is in a bridge: it needs an audio codec`,
        );
      }
      ep.applyConfig(config);
      ep.transcodeRate = pcmRateFor(audio, ep.bridge.sampleRate);
      await ep.reconfigure();
      return;
    }
    const peer = ep.peer;
    if (ep.mode === MODE_RELAY && peer && !relayCompatible(mediaFormat(config.codecs), peer.format)) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        `endpoint ${id} is relayed to ${peer.id}: the new codecs do not match theirs (disconnect and transcode)`,
      );
    }
    ep.applyConfig(config);
    if (ep.mode === MODE_TRANSCODE && peer) {
      this.#chooseRates(ep, peer);
      await ep.reconfigure();
      await peer.reconfigure();
    } else {
      await ep.reconfigure();
    }
  }

  #closeEndpoint(id: number, reason: 'closed' | 'engine-closed' = 'closed'): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
    for (const r of [...this.#recordings.values()]) {
      if (r.endpoints.includes(ep)) void this.#stopRecording(r, reason);
    }
    ep.bridge?.drop(ep.id);
    if (ep.sessionId >= 0) this.#teardown(ep.sessionId);
    this.#endpoints.delete(id);
    ep.close();
  }

  #chooseRates(a: WorkerEndpoint, b: WorkerEndpoint): void {
    const fa = a.format.audio;
    const fb = b.format.audio;
    if (!fa || !fb) throw new StrowgerError('ERR_INVALID_STATE', 'both endpoints need an audio codec');
    a.transcodeRate = pcmRateFor(fa, naturalRate(fb));
    b.transcodeRate = pcmRateFor(fb, naturalRate(fa));
  }

  async #connect(id: number, kind: 'relay' | 'transcode' | 'echo', aId: number, bId: number): Promise<void> {
    const a = this.#endpoint(aId);
    const b = this.#endpoint(bId);
    if ((a === b) !== (kind === 'echo')) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        kind === 'echo' ? 'an echo takes one endpoint' : 'cannot connect an endpoint to itself (use echo)',
      );
    }
    if (this.#sessions.has(id)) throw new StrowgerError('ERR_INVALID_STATE', `session ${id} exists already`);
    for (const ep of [a, b]) {
      if (ep.mode !== MODE_IDLE || ep.bridge) {
        throw new StrowgerError(
          'ERR_INVALID_STATE',
          `endpoint ${ep.id} is already connected (session ${ep.sessionId})`,
        );
      }
    }
    const session: Session = { id, kind, a, b, transcode: undefined };
    if (kind === 'echo') {
      // the endpoint is its own relay peer: what its party sends goes back to it, rewritten
      a.setRelay(a);
    } else if (kind === 'relay') {
      if (!relayCompatible(a.format, b.format)) {
        throw new StrowgerError(
          'ERR_INVALID_STATE',
          `cannot relay ${a.format.audio?.encodingName ?? 'nothing'} to ${b.format.audio?.encodingName ?? 'nothing'}: use transcode`,
        );
      }
      a.setRelay(b);
      b.setRelay(a);
    } else {
      this.#chooseRates(a, b);
      a.mode = MODE_TRANSCODE;
      b.mode = MODE_TRANSCODE;
      a.peer = b;
      b.peer = a;
    }
    a.sessionId = id;
    b.sessionId = id;
    this.#sessions.set(id, session);
    try {
      await a.reconfigure();
      if (b !== a) await b.reconfigure();
    } catch (err) {
      this.#teardown(id);
      await Promise.allSettled([a.reconfigure(), b.reconfigure()]);
      throw err;
    }
    if (!this.#sessions.has(id))
      throw new StrowgerError('ERR_CLOSED', `session ${id} ended while connecting`);
    if (kind === 'transcode') {
      session.transcode = new TranscodeSession(id, a, b);
      this.#transcodes.push(session.transcode);
    }
  }

  /** Unlinks a session's endpoints (synchronously: no packet is relayed after this). */
  #teardown(id: number): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    this.#sessions.delete(id);
    for (const r of [...this.#recordings.values()]) {
      if (r.sessionId === id) void this.#stopRecording(r, 'closed');
    }
    if (s.transcode) {
      const i = this.#transcodes.indexOf(s.transcode);
      if (i >= 0) this.#transcodes.splice(i, 1);
    }
    for (const ep of [s.a, s.b]) {
      if (ep.sessionId === id) {
        ep.clearConnection();
        ep.out.remap();
      }
    }
    return s;
  }

  async #disconnect(id: number): Promise<void> {
    const s = this.#teardown(id);
    if (!s) return;
    for (const ep of [s.a, s.b]) if (!ep.closed) await ep.reconfigure();
  }

  #setTicking(ep: WorkerEndpoint, on: boolean): void {
    const i = this.#ticking.indexOf(ep);
    if (on && i < 0) this.#ticking.push(ep);
    else if (!on && i >= 0) this.#ticking.splice(i, 1);
  }

  #tick(now: number): void {
    const t = this.#transcodes;
    for (let i = 0; i < t.length; i++) (t[i] as TranscodeSession).tick(now);
    const e = this.#ticking;
    for (let i = e.length - 1; i >= 0; i--) e[i]?.tick(now);
    const b = this.#bridgeList;
    for (let i = 0; i < b.length; i++) (b[i] as WorkerBridge).tick(now);
    const r = this.#tapRecordings;
    for (let i = 0; i < r.length; i++) (r[i] as TapRecording).tick(now);
    if (++this.#tickCount % this.#housekeepEvery === 0) {
      const wall = this.clock.wallTime();
      for (const ep of this.#endpoints.values()) ep.housekeeping(now, wall);
    }
  }

  // ------------------------------------------------------------------ bridges

  #bridge(id: number): WorkerBridge {
    const b = this.#bridges.get(id);
    if (!b) throw new StrowgerError('ERR_CLOSED', `bridge ${id} is not open in this worker`);
    return b;
  }

  #createBridge(c: Extract<Command, { type: 'createBridge' }>): void {
    if (this.#bridges.has(c.bridge)) {
      throw new StrowgerError('ERR_INVALID_STATE', `bridge ${c.bridge} exists already`);
    }
    const b = new WorkerBridge(c.bridge, c.sampleRate, c.home, c.mixer ?? {}, {
      tickMs: this.tickMs,
      emit: (e) => this.#post(e),
    });
    this.#bridges.set(c.bridge, b);
    this.#bridgeList = [...this.#bridges.values()];
  }

  #closeBridge(id: number): void {
    const b = this.#bridges.get(id);
    if (!b) return;
    this.#bridges.delete(id);
    this.#bridgeList = [...this.#bridges.values()];
    for (const r of [...this.#recordings.values()]) {
      if (r.bridgeId === id) void this.#stopRecording(r, 'closed');
    }
    const members = b.close();
    for (const ep of members) if (!ep.closed) void ep.reconfigure().catch(() => {});
  }

  async #bridgeAdd(
    bridgeId: number,
    endpointId: number,
    settings: Parameters<WorkerBridge['add']>[1],
  ): Promise<void> {
    const b = this.#bridge(bridgeId);
    const ep = this.#endpoint(endpointId);
    if (ep.sessionId >= 0) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        `endpoint ${endpointId} is in session ${ep.sessionId}: disconnect it first`,
      );
    }
    await b.add(ep, settings ?? {});
  }

  async #bridgeRemove(bridgeId: number, endpointId: number): Promise<void> {
    // a stereo bridge recording naming the member keeps running: that channel goes quiet
    await this.#bridges.get(bridgeId)?.remove(endpointId);
  }

  // ------------------------------------------------------------------ recordings

  async #record(
    id: number,
    target: RecordTarget,
    options: RecordingOptions,
  ): Promise<CommandResults['record']> {
    if (this.#recordings.has(id))
      throw new StrowgerError('ERR_INVALID_STATE', `recording ${id} exists already`);
    if (target === null || typeof target !== 'object') {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'record target must be an object');
    }
    const onEnd = (result: RecordingResult) => {
      const r = this.#recordings.get(id);
      if (r) this.#detachRecording(id, r);
      this.#post({ kind: 'event', type: 'recordingEnded', recording: id, result });
    };
    if (target.kind === 'bridge') {
      const b = this.#bridge(target.bridge);
      if (!b.home) throw new StrowgerError('ERR_INVALID_STATE', 'a bridge records in its home worker');
      const stereo = target.left !== undefined || target.right !== undefined;
      if (options.sampleRate !== undefined && options.sampleRate !== b.sampleRate) {
        throw new StrowgerError('ERR_INVALID_ARGUMENT', `a bridge records at its rate (${b.sampleRate} Hz)`);
      }
      for (const x of [...(target.left ?? []), ...(target.right ?? [])]) {
        if (!b.has(x)) {
          throw new StrowgerError(
            'ERR_INVALID_STATE',
            `endpoint ${x} is not a member of bridge ${b.id} in this worker (stereo channels name members of the home worker)`,
          );
        }
      }
      if (b.recording && !b.recording.ended) {
        throw new StrowgerError('ERR_INVALID_STATE', `bridge ${b.id} is recording already`);
      }
      const recorder = await Recorder.create(
        id,
        options,
        b.sampleRate,
        stereo ? 2 : 1,
        b.frameSamples,
        onEnd,
      );
      if (b.closed) {
        await recorder.stop('closed');
        throw new StrowgerError('ERR_CLOSED', `bridge ${b.id} closed`);
      }
      b.record(recorder, stereo ? (target.left ?? []) : undefined, stereo ? (target.right ?? []) : undefined);
      this.#recordings.set(id, { recorder, taps: undefined, endpoints: [], sessionId: -1, bridgeId: b.id });
      return {
        path: recorder.path,
        partPath: recorder.partPath,
        sampleRate: b.sampleRate,
        channels: stereo ? 2 : 1,
      };
    }
    // leg or call: taps on endpoints
    let channels: Array<Array<{ ep: WorkerEndpoint; direction: 'in' | 'out' }>>;
    let sessionId = -1;
    if (target.kind === 'endpoint') {
      const ep = this.#endpoint(target.endpoint);
      const both = target.direction === 'both';
      channels = !both
        ? [[{ ep, direction: 'in' }]]
        : target.stereo
          ? [[{ ep, direction: 'in' }], [{ ep, direction: 'out' }]]
          : [
              [
                { ep, direction: 'in' },
                { ep, direction: 'out' },
              ],
            ];
    } else if (target.kind === 'session') {
      const s = this.#sessions.get(target.session);
      if (!s) throw new StrowgerError('ERR_CLOSED', `session ${target.session} is not open in this worker`);
      sessionId = s.id;
      const a = { ep: s.a, direction: 'in' as const };
      const b = { ep: s.b, direction: 'in' as const };
      channels = target.stereo ? [[a], [b]] : [[a, b]];
    } else {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'record target kind must be endpoint, session or bridge',
      );
    }
    const eps = [...new Set(channels.flat().map((x) => x.ep))];
    for (const ep of eps) {
      if (!ep.format.audio)
        throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${ep.id} has no audio codec`);
    }
    const rate =
      options.sampleRate ??
      Math.max(...eps.map((ep) => pcmRateFor(ep.format.audio as NonNullable<typeof ep.format.audio>)));
    const taps: PacketTap[][] = [];
    const made: Array<{ ep: WorkerEndpoint; tap: PacketTap }> = [];
    try {
      for (const list of channels) {
        const row: PacketTap[] = [];
        for (const { ep, direction } of list) {
          const tap = await PacketTap.create(
            direction,
            ep.format.audio as NonNullable<typeof ep.format.audio>,
            this.tickMs,
            ep.config.jitter,
          );
          made.push({ ep, tap });
          row.push(tap);
        }
        taps.push(row);
      }
    } catch (err) {
      for (const m of made) m.tap.close();
      throw err;
    }
    let recorder: Recorder;
    try {
      recorder = await Recorder.create(
        id,
        options,
        rate,
        taps.length === 2 ? 2 : 1,
        (rate * this.tickMs) / 1000,
        onEnd,
      );
    } catch (err) {
      for (const m of made) m.tap.close();
      throw err;
    }
    if (eps.some((ep) => ep.closed) || (sessionId >= 0 && !this.#sessions.has(sessionId))) {
      for (const m of made) m.tap.close();
      await recorder.stop('closed');
      throw new StrowgerError('ERR_CLOSED', 'what was to be recorded closed meanwhile');
    }
    for (const m of made) m.ep.addTap(m.tap);
    const tr = new TapRecording(recorder, taps, this.tickMs);
    this.#recordings.set(id, { recorder, taps: tr, endpoints: eps, sessionId, bridgeId: -1 });
    this.#tapRecordings = [...this.#tapRecordings, tr];
    return {
      path: recorder.path,
      partPath: recorder.partPath,
      sampleRate: rate,
      channels: taps.length === 2 ? 2 : 1,
    };
  }

  /** Unhooks a recording from its taps and tick (it has ended or is ending). */
  #detachRecording(id: number, r: ActiveRecording): void {
    this.#recordings.delete(id);
    if (r.taps) {
      const tr = r.taps;
      this.#tapRecordings = this.#tapRecordings.filter((x) => x !== tr);
      for (const tap of tr.taps) {
        for (const ep of r.endpoints) ep.removeTap(tap);
        tap.close();
      }
    }
  }

  #stopRecording(r: ActiveRecording, reason: RecordingResult['reason']): Promise<RecordingResult> {
    this.#detachRecording(r.recorder.id, r);
    return r.recorder.stop(reason);
  }

  async #recordControl(id: number, action: 'pause' | 'resume' | 'stop'): Promise<RecordingResult | null> {
    const r = this.#recordings.get(id);
    if (!r) {
      if (action === 'stop') return null; // ended already (its recordingEnded event is on its way)
      throw new StrowgerError('ERR_CLOSED', `recording ${id} has ended`);
    }
    if (action === 'pause') r.recorder.pause();
    else if (action === 'resume') r.recorder.resume();
    else return this.#stopRecording(r, 'stopped');
    return null;
  }

  /**
   * Shuts down: recordings are finished (file completed and renamed, at most
   * 1.5 s), then the tick stops and every endpoint closes.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    const pending = [...this.#recordings.values()].map((r) => this.#stopRecording(r, 'engine-closed'));
    if (pending.length > 0) {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => {
          timer = this.clock.setTimeout(resolve, 1500);
        }),
      ]);
      timer?.cancel();
    }
    this.close();
  }

  /** Stops the tick and closes every endpoint (sockets included). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#scheduler.stop();
    for (const r of [...this.#recordings.values()]) {
      this.#detachRecording(r.recorder.id, r);
      void r.recorder.abandon();
    }
    for (const id of [...this.#bridges.keys()]) this.#closeBridge(id);
    for (const id of [...this.#endpoints.keys()]) this.#closeEndpoint(id);
  }
}
