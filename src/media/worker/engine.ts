/**
 * The media engine's host side: `createMediaEngine()` starts the worker
 * threads (default one per core) and returns the engine that creates
 * endpoints in them, connects endpoints (relay or transcode), routes each
 * worker's responses and events to the right promise or object, and replaces
 * a worker that dies — rejecting its pending requests with ERR_WORKER_DIED
 * and ending every endpoint and session it held ('worker-died').
 */

import { stat } from 'node:fs/promises';
import { availableParallelism, networkInterfaces } from 'node:os';
import {
  cryptoRandom,
  deserializeError,
  type Random,
  randomToken,
  StrowgerError,
  TypedEmitter,
} from '../../core/index.js';
import { TALK_DETECTION_DEFAULTS } from '../mixer/index.js';
import { BRIDGE_DEFAULTS, type BridgeLinkToEngine, type CreateBridgeOptions, MediaBridge } from './bridge.js';
import { type EndpointLink, MediaEndpoint } from './endpoint.js';
import { mediaFormat, relayCompatible } from './media-format.js';
import { ENDPOINT_DEFAULTS, type EndpointOptions, resolveEndpointConfig } from './options.js';
import { PortAllocator, type PortRange } from './port-allocator.js';
import { defaultPromptDirectory } from './prompt-directory.js';
import type { Command, CommandResults, RecordTarget, WorkerBootData, WorkerMessage } from './protocol.js';
import { MediaRecording, type RecordingLink } from './recording.js';
import { MediaSession, type MediaSessionKind, type SessionLink } from './session.js';
import type { EndpointConfig, RecordingOptions, RecordingResult, WorkerStats } from './types.js';
import { type MediaWorkerHandle, type MediaWorkerSpawner, workerSpawner } from './worker-script.js';

export interface MediaEngineOptions {
  /** Worker threads (default: one per core, `os.availableParallelism()`). */
  workers?: number;
  /** RTP/RTCP ports (default 10000–20000). */
  portRange?: PortRange;
  /** Address the sockets bind (default '0.0.0.0'). */
  bindAddress?: string;
  /** Address reported in `endpoint.local` for SDP (default: the bind address, or the first external IPv4 when binding all). */
  announceAddress?: string;
  /** Media tick (default 20 ms). */
  tickMs?: number;
  /** Ticks run back to back after a stall (default 5). */
  maxCatchUpTicks?: number;
  /** Defaults of every endpoint (over `ENDPOINT_DEFAULTS`). */
  endpointDefaults?: EndpointOptions;
  /** Path or URL of the worker script when the default cannot be found (bundled apps). */
  workerScript?: string | URL;
  /** Starts worker threads (tests pass in-process workers). */
  spawn?: MediaWorkerSpawner;
  /** Replace a worker that died (default true). */
  restartWorkers?: boolean;
  /** Randomness for CNAMEs. */
  random?: Random;
  /** How long a worker may take to start (default 30 s). */
  startTimeoutMs?: number;
  /** Directory with `<lang>/<prompt>.wav` for prompt names in playlists (default: the package's assets/prompts). */
  promptDirectory?: string;
}

export const MEDIA_ENGINE_DEFAULTS = Object.freeze({
  portRange: Object.freeze({ min: 10000, max: 20000 }),
  bindAddress: '0.0.0.0',
  tickMs: 20,
  maxCatchUpTicks: 5,
  restartWorkers: true,
  startTimeoutMs: 30_000,
});

/** Options of `createEndpoint`: endpoint options plus placement. */
export interface CreateEndpointOptions extends EndpointOptions {
  /**
   * Place the endpoint in the same worker as this endpoint, session or bridge (both legs of a
   * call must share one; conference members placed with their bridge avoid a split bridge).
   */
  near?: MediaEndpoint | MediaSession | MediaBridge;
}

export type MediaEngineEvents = {
  /** A worker died; its endpoints and sessions have ended. It is being replaced. */
  workerDied: [index: number, error: StrowgerError];
  /** A worker (initial or replacement) is ready. */
  workerStarted: [index: number];
  close: [];
};

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const MAX_BIND_ATTEMPTS = 16;
const MAX_RESTARTS_IN_A_ROW = 5;

class WorkerSlot {
  readonly index: number;
  readonly handle: MediaWorkerHandle;
  readonly pending = new Map<number, Pending>();
  readonly endpoints = new Set<MediaEndpoint>();
  alive = true;
  expectedExit = false;
  ready: Promise<void>;
  lastError: Error | undefined;
  #readyResolve!: () => void;
  #readyReject!: (err: unknown) => void;
  isReady = false;

  constructor(index: number, handle: MediaWorkerHandle) {
    this.index = index;
    this.handle = handle;
    this.ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.ready.catch(() => {});
  }

  startTimer: ReturnType<typeof setTimeout> | undefined;

  markReady(): void {
    this.isReady = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    this.#readyResolve();
  }

  failStart(err: unknown): void {
    this.#readyReject(err);
  }
}

export class MediaEngine extends TypedEmitter<MediaEngineEvents> {
  readonly bindAddress: string;
  readonly announceAddress: string;
  readonly tickMs: number;
  readonly #slots: WorkerSlot[] = [];
  readonly #spawn: MediaWorkerSpawner;
  readonly #ports: PortAllocator;
  readonly #endpoints = new Map<number, MediaEndpoint>();
  readonly #sessions = new Map<number, MediaSession>();
  readonly #bridges = new Map<number, MediaBridge>();
  readonly #recordings = new Map<number, { recording: MediaRecording; slot: WorkerSlot }>();
  /** Ends reported before the recording's proxy existed (a recording that ended at once). */
  readonly #earlyEnds = new Map<number, RecordingResult>();
  readonly #promptDirectory: string | undefined;
  readonly #defaults: EndpointConfig;
  readonly #random: Random;
  readonly #restart: boolean;
  readonly #maxCatchUp: number;
  readonly #startTimeoutMs: number;
  readonly #restartsInARow: number[] = [];
  #nextRequest = 1;
  #nextEndpoint = 1;
  #nextSession = 1;
  #nextBridge = 1;
  #nextRecording = 1;
  #closing: Promise<void> | undefined;

  /** @internal use {@link createMediaEngine} */
  constructor(options: MediaEngineOptions = {}) {
    super();
    const o = { ...MEDIA_ENGINE_DEFAULTS, ...options };
    const workers = options.workers ?? availableParallelism();
    if (!(Number.isInteger(workers) && workers >= 1 && workers <= 256)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'workers must be an integer 1..256');
    }
    if (!(Number.isFinite(o.tickMs) && o.tickMs >= 5 && o.tickMs <= 100)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'tickMs must be 5..100');
    }
    this.#ports = new PortAllocator(o.portRange);
    this.bindAddress = o.bindAddress;
    this.announceAddress = options.announceAddress ?? announceFor(o.bindAddress);
    this.tickMs = o.tickMs;
    this.#maxCatchUp = o.maxCatchUpTicks;
    this.#restart = o.restartWorkers;
    this.#startTimeoutMs = o.startTimeoutMs;
    this.#random = options.random ?? cryptoRandom;
    this.#spawn = options.spawn ?? workerSpawner(options.workerScript);
    this.#promptDirectory = options.promptDirectory ?? defaultPromptDirectory();
    this.#defaults = resolveEndpointConfig(options.endpointDefaults ?? {}, {
      ...ENDPOINT_DEFAULTS,
      codecs: [],
      cname: 'strowger',
    });
    for (let i = 0; i < workers; i++) this.#restartsInARow.push(0);
  }

  /** @internal Starts every worker and waits until all are ready. */
  async _start(): Promise<void> {
    for (let i = 0; i < this.#restartsInARow.length; i++) this.#startSlot(i);
    try {
      await Promise.all(this.#slots.map((s) => s.ready));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Worker threads. */
  get workerCount(): number {
    return this.#slots.length;
  }

  /** Open endpoints. */
  get endpointCount(): number {
    return this.#endpoints.size;
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Open bridges. */
  get bridgeCount(): number {
    return this.#bridges.size;
  }

  /** Recordings running. */
  get recordingCount(): number {
    return this.#recordings.size;
  }

  /** RTP port pairs in use. */
  get portsInUse(): number {
    return this.#ports.inUse;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #check(): void {
    if (this.#closing) throw new StrowgerError('ERR_CLOSED', 'media engine is closed');
  }

  // ------------------------------------------------------------------ workers

  #startSlot(index: number): void {
    const data: WorkerBootData = { index, tickMs: this.tickMs, maxCatchUpTicks: this.#maxCatchUp };
    if (this.#promptDirectory !== undefined) data.promptDirectory = this.#promptDirectory;
    let handle: MediaWorkerHandle;
    const slotRef: { slot?: WorkerSlot } = {};
    try {
      handle = this.#spawn(data);
    } catch (err) {
      const failed = new WorkerSlot(index, {
        postMessage() {},
        on() {},
        terminate: async () => 0,
      });
      failed.alive = false;
      failed.failStart(
        new StrowgerError('ERR_WORKER_DIED', `cannot start media worker ${index}`, { cause: err }),
      );
      this.#slots[index] = failed;
      return;
    }
    const slot = new WorkerSlot(index, handle);
    slotRef.slot = slot;
    this.#slots[index] = slot;
    const timer = setTimeout(() => {
      if (!slot.isReady) {
        slot.failStart(new StrowgerError('ERR_TIMEOUT', `media worker ${index} did not start`));
        void this.#kill(slot);
      }
    }, this.#startTimeoutMs);
    timer.unref?.();
    slot.startTimer = timer;
    handle.on('message', (m: WorkerMessage) => this.#onMessage(slot, m));
    handle.on('error', (err: Error) => {
      slot.lastError = err;
    });
    handle.on('exit', (code: number) => {
      clearTimeout(timer);
      this.#onExit(slot, code);
    });
  }

  async #kill(slot: WorkerSlot): Promise<void> {
    try {
      await slot.handle.terminate();
    } catch {
      // already gone
    }
  }

  #onMessage(slot: WorkerSlot, m: WorkerMessage): void {
    if (m.kind === 'response') {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(deserializeError(m.error));
      return;
    }
    if (m.type === 'ready') {
      if (!slot.isReady) {
        slot.markReady();
        this.#restartsInARow[slot.index] = 0;
        this.safeEmit('workerStarted', slot.index);
      }
      return;
    }
    switch (m.type) {
      case 'talk':
        this.#bridges.get(m.bridge)?._talk(m.endpoint, m.talking, m.atMs);
        return;
      case 'bridgePlaying':
        this.#bridges.get(m.bridge)?._playing();
        return;
      case 'recordingEnded': {
        const r = this.#recordings.get(m.recording);
        if (r && r.slot === slot) r.recording._end(m.result);
        else if (!r) this.#earlyEnds.set(m.recording, m.result);
        return;
      }
      default: {
        const ep = this.#endpoints.get(m.endpoint);
        if (!ep || !slot.endpoints.has(ep)) return;
        ep._event(m.type, m as unknown as Record<string, unknown>);
        if (m.type === 'dtmf') ep._bridge?._remoteDigit(ep, m.digit);
      }
    }
  }

  #onExit(slot: WorkerSlot, code: number): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (slot.expectedExit) {
      const closed = new StrowgerError('ERR_CLOSED', 'media engine is closed');
      for (const p of slot.pending.values()) p.reject(closed);
      slot.pending.clear();
      return;
    }
    const why = slot.lastError ? `: ${slot.lastError.message}` : '';
    const err = new StrowgerError(
      'ERR_WORKER_DIED',
      `media worker ${slot.index} exited with code ${code}${why}`,
      {
        cause: slot.lastError,
      },
    );
    if (!slot.isReady) slot.failStart(err);
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
    for (const [, r] of [...this.#recordings]) {
      if (r.slot === slot) void this.#abandonRecording(r.recording, 'worker-died');
    }
    for (const ep of [...slot.endpoints]) ep._end('worker-died');
    for (const b of [...this.#bridges.values()]) b._workerDied(slot.index);
    this.safeEmit('workerDied', slot.index, err);
    if (!this.#closing && this.#restart && slot.isReady) {
      const n = (this.#restartsInARow[slot.index] ?? 0) + 1;
      this.#restartsInARow[slot.index] = n;
      if (n <= MAX_RESTARTS_IN_A_ROW) this.#startSlot(slot.index);
    }
  }

  #request<C extends Command>(slot: WorkerSlot, command: C): Promise<CommandResults[C['type']]> {
    if (!slot.alive) {
      return Promise.reject(new StrowgerError('ERR_WORKER_DIED', `media worker ${slot.index} is gone`));
    }
    const id = this.#nextRequest++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        slot.handle.postMessage({ id, command });
      } catch (err) {
        slot.pending.delete(id);
        reject(
          new StrowgerError('ERR_INVALID_ARGUMENT', 'command cannot be sent to the worker', { cause: err }),
        );
      }
    });
  }

  #pickSlot(near: MediaEndpoint | MediaSession | MediaBridge | undefined): WorkerSlot {
    if (near !== undefined) {
      if (near.closed) throw new StrowgerError('ERR_CLOSED', 'cannot place an endpoint near a closed one');
      const slot = this.#slots[near.workerIndex];
      if (!slot?.alive)
        throw new StrowgerError('ERR_WORKER_DIED', `media worker ${near.workerIndex} is gone`);
      return slot;
    }
    let best: WorkerSlot | undefined;
    for (const s of this.#slots) {
      if (s.alive && (!best || s.endpoints.size < best.endpoints.size)) best = s;
    }
    if (!best) throw new StrowgerError('ERR_WORKER_DIED', 'no media worker is running');
    return best;
  }

  // ------------------------------------------------------------------ endpoints and sessions

  /**
   * Creates an endpoint: binds an RTP/RTCP port pair from the range in a
   * worker (the least loaded, or the one of `near`) and returns its proxy.
   * `local` is what goes into the SDP.
   */
  async createEndpoint(options: CreateEndpointOptions = {}): Promise<MediaEndpoint> {
    this.#check();
    const { near, ...rest } = options;
    const config = resolveEndpointConfig(rest, {
      ...this.#defaults,
      cname: options.cname ?? `${randomToken(this.#random, 16)}@strowger`,
    });
    const slot = this.#pickSlot(near);
    await slot.ready;
    const id = this.#nextEndpoint++;
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
      this.#check();
      const rtpPort = this.#ports.take();
      let result: CommandResults['createEndpoint'];
      try {
        result = await this.#request(slot, {
          type: 'createEndpoint',
          endpoint: id,
          bindAddress: this.bindAddress,
          rtpPort,
          rtcpPort: rtpPort + 1,
          config,
        });
      } catch (err) {
        this.#ports.release(rtpPort);
        lastError = err;
        if ((err as { errno?: string }).errno === 'EADDRINUSE') continue;
        throw err;
      }
      const link: EndpointLink = {
        workerIndex: slot.index,
        request: (command) => this.#request(slot, command),
        released: (ep) => {
          this.#endpoints.delete(ep.id);
          slot.endpoints.delete(ep);
          this.#ports.release(ep.local.rtpPort);
        },
        record: (target, options) => this.#record(slot, target, options),
      };
      const ep = new MediaEndpoint(
        id,
        { address: this.announceAddress, rtpPort, rtcpPort: rtpPort + 1 },
        result.ssrc,
        config,
        link,
      );
      if (!slot.alive || this.#closing) {
        this.#ports.release(rtpPort);
        throw new StrowgerError(
          slot.alive ? 'ERR_CLOSED' : 'ERR_WORKER_DIED',
          'endpoint lost while creating',
        );
      }
      this.#endpoints.set(id, ep);
      slot.endpoints.add(ep);
      return ep;
    }
    throw new StrowgerError('ERR_TRANSPORT', `no free RTP port after ${MAX_BIND_ATTEMPTS} attempts`, {
      cause: lastError,
    });
  }

  /** Relays two endpoints with the same codec: packets forwarded, headers rewritten, no jitter buffer. */
  relay(a: MediaEndpoint, b: MediaEndpoint): Promise<MediaSession> {
    return this.#connect(a, b, 'relay');
  }

  /** Transcodes between two endpoints (any codecs): jitter buffer, decode, resample, encode on the tick. */
  transcode(a: MediaEndpoint, b: MediaEndpoint): Promise<MediaSession> {
    return this.#connect(a, b, 'transcode');
  }

  /** Relay when both legs send the same codec, transcoding otherwise. */
  connect(a: MediaEndpoint, b: MediaEndpoint): Promise<MediaSession> {
    const same = relayCompatible(mediaFormat(a.config.codecs), mediaFormat(b.config.codecs));
    return this.#connect(a, b, same ? 'relay' : 'transcode');
  }

  /**
   * Sends what an endpoint's party sends back to it (an echo test): the
   * endpoint is relayed to itself, headers rewritten with its own SSRC. Close
   * the session to stop.
   */
  echo(endpoint: MediaEndpoint): Promise<MediaSession> {
    return this.#connect(endpoint, endpoint, 'echo');
  }

  async #connect(a: MediaEndpoint, b: MediaEndpoint, kind: MediaSessionKind): Promise<MediaSession> {
    this.#check();
    if (!(a instanceof MediaEndpoint) || !(b instanceof MediaEndpoint)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'relay/transcode take two endpoints');
    }
    if ((a === b) !== (kind === 'echo')) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        kind === 'echo' ? 'echo takes one endpoint' : 'cannot connect an endpoint to itself: use echo()',
      );
    }
    if (a.closed || b.closed) throw new StrowgerError('ERR_CLOSED', 'cannot connect a closed endpoint');
    if (a.workerIndex !== b.workerIndex) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        `endpoints ${a.id} and ${b.id} live in different workers: create the second with { near: first }`,
      );
    }
    if (a._bridge || b._bridge) {
      throw new StrowgerError('ERR_INVALID_STATE', 'an endpoint is in a bridge: remove it first');
    }
    if (a._session || b._session) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        'an endpoint is already connected: close its session first',
      );
    }
    const slot = this.#slots[a.workerIndex] as WorkerSlot;
    const id = this.#nextSession++;
    const link: SessionLink = {
      disconnect: async (s) => {
        await this.#request(slot, { type: 'disconnect', session: s.id });
      },
      released: (s) => {
        this.#sessions.delete(s.id);
      },
      record: (target, options) => this.#record(slot, target, options),
    };
    const session = new MediaSession(id, kind, a, b, link);
    // claim the legs now so a concurrent connect fails fast
    a._session = session;
    b._session = session;
    this.#sessions.set(id, session);
    try {
      await this.#request(slot, { type: 'connect', session: id, kind, a: a.id, b: b.id });
    } catch (err) {
      await session._end(a.closed || b.closed ? 'endpoint-closed' : 'closed', false);
      throw err;
    }
    if (session.closed) throw new StrowgerError('ERR_CLOSED', 'session ended while connecting');
    return session;
  }

  // ------------------------------------------------------------------ bridges and recordings

  /**
   * Creates a conference bridge mixing at `sampleRate` in a home worker (the
   * least loaded, or `worker`). Members of other workers join through
   * linked halves (see docs/mixer.md).
   */
  async createBridge(options: CreateBridgeOptions = {}): Promise<MediaBridge> {
    this.#check();
    const bad = (m: string) => new StrowgerError('ERR_INVALID_ARGUMENT', m);
    if (options === null || typeof options !== 'object') throw bad('bridge options must be an object');
    const sampleRate = options.sampleRate ?? BRIDGE_DEFAULTS.sampleRate;
    if (sampleRate !== 8000 && sampleRate !== 16000 && sampleRate !== 48000) {
      throw bad('sampleRate must be 8000, 16000 or 48000');
    }
    if ((sampleRate * this.tickMs) % 1000 !== 0) throw bad('the tick must hold a whole number of samples');
    const batch = options.linkBatchFrames ?? BRIDGE_DEFAULTS.linkBatchFrames;
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= 8)) throw bad('linkBatchFrames must be 1 … 8');
    const prefill = options.linkPrefillFrames ?? batch + 1;
    if (!(Number.isInteger(prefill) && prefill >= 1 && prefill <= 12))
      throw bad('linkPrefillFrames must be 1 … 12');
    if (options.limiter !== undefined && options.limiter !== 'saturate' && options.limiter !== 'soft') {
      throw bad("limiter must be 'saturate' or 'soft'");
    }
    const maxMembers = options.maxMembers ?? BRIDGE_DEFAULTS.maxMembers;
    if (!(Number.isInteger(maxMembers) && maxMembers >= 2 && maxMembers <= 4000))
      throw bad('maxMembers must be 2 … 4000');
    if (options.talk !== undefined) {
      const t = { ...TALK_DETECTION_DEFAULTS, ...options.talk };
      const level = (x: number) => Number.isFinite(x) && x <= 0;
      if (!level(t.onDbfs) || !level(t.offDbfs) || t.offDbfs > t.onDbfs) {
        throw bad('talk levels must be dBFS <= 0 with offDbfs <= onDbfs');
      }
      if (!(Number.isFinite(t.hangoverMs) && t.hangoverMs >= 0)) throw bad('talk.hangoverMs must be >= 0');
    }
    let slot: WorkerSlot;
    if (options.worker !== undefined) {
      const w = this.#slots[options.worker];
      if (!Number.isInteger(options.worker) || !w) throw bad(`no media worker ${String(options.worker)}`);
      if (!w.alive) throw new StrowgerError('ERR_WORKER_DIED', `media worker ${options.worker} is gone`);
      slot = w;
    } else {
      slot = this.#pickSlot(undefined);
    }
    await slot.ready;
    const mixer = {
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.gate === undefined ? {} : { gate: options.gate !== false }),
      ...(options.talk ? { talk: { ...options.talk } } : {}),
      maxMembers,
    };
    const id = this.#nextBridge++;
    const link: BridgeLinkToEngine = {
      tickMs: this.tickMs,
      request: (index, command) => {
        const s = this.#slots[index];
        if (!s) return Promise.reject(new StrowgerError('ERR_WORKER_DIED', `media worker ${index} is gone`));
        return this.#request(s, command);
      },
      workerAlive: (index) => this.#slots[index]?.alive === true,
      record: (index, target, recordOptions) => {
        const s = this.#slots[index];
        if (!s) return Promise.reject(new StrowgerError('ERR_WORKER_DIED', `media worker ${index} is gone`));
        return this.#record(s, target, recordOptions);
      },
      released: (b) => {
        this.#bridges.delete(b.id);
      },
    };
    const bridge = new MediaBridge(
      id,
      sampleRate,
      slot.index,
      { linkBatchFrames: batch, linkPrefillFrames: prefill, mixer },
      link,
    );
    this.#bridges.set(id, bridge);
    try {
      await this.#request(slot, { type: 'createBridge', bridge: id, sampleRate, home: true, mixer });
    } catch (err) {
      await bridge._end('closed', false);
      throw err;
    }
    if (bridge.closed) throw new StrowgerError('ERR_CLOSED', 'bridge ended while it was created');
    return bridge;
  }

  async #record(slot: WorkerSlot, target: RecordTarget, options: RecordingOptions): Promise<MediaRecording> {
    this.#check();
    const id = this.#nextRecording++;
    const info = await this.#request(slot, { type: 'record', recording: id, target, options });
    const link: RecordingLink = {
      workerIndex: slot.index,
      request: (command) => this.#request(slot, command),
      released: (r) => {
        this.#recordings.delete(r.id);
      },
    };
    const rec = new MediaRecording(id, info, options.paused === true, link);
    this.#recordings.set(id, { recording: rec, slot });
    const early = this.#earlyEnds.get(id);
    if (early) {
      this.#earlyEnds.delete(id);
      rec._end(early);
    } else if (!slot.alive) {
      await this.#abandonRecording(rec, 'worker-died');
    }
    return rec;
  }

  /** Ends a recording its worker could not finish: the `.part` file is what there is. */
  async #abandonRecording(rec: MediaRecording, reason: RecordingResult['reason']): Promise<void> {
    let dataBytes = 0;
    try {
      dataBytes = Math.max(0, (await stat(rec.partPath)).size - 44);
    } catch {
      // no file at all
    }
    dataBytes -= dataBytes % (2 * rec.channels);
    rec._end({
      path: rec.partPath,
      reason,
      durationMs: (dataBytes / 2 / rec.channels / rec.sampleRate) * 1000,
      sampleRate: rec.sampleRate,
      channels: rec.channels,
      dataBytes,
      pausedMs: 0,
      droppedFrames: 0,
    });
  }

  /** Figures of every live worker. */
  async workerStats(): Promise<WorkerStats[]> {
    this.#check();
    const live = this.#slots.filter((s) => s.alive);
    const stats = await Promise.all(live.map((s) => this.#request(s, { type: 'workerStats' })));
    return stats.map((s, i) => ({ index: (live[i] as WorkerSlot).index, ...s }));
  }

  /** Terminates worker `index` as if it had crashed (its endpoints end with 'worker-died'); it is replaced. */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (!slot?.alive) return;
    await this.#kill(slot);
  }

  /** Test hook: makes worker `index` throw an uncaught exception, as a bug would. */
  async crashWorker(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (!slot?.alive) return;
    try {
      await this.#request(slot, { type: 'crash' });
    } catch {
      // it may die before it answers
    }
  }

  /** Closes every endpoint (RTCP BYE, sockets) and stops the workers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const slots = this.#slots.filter((s) => s.alive);
      await Promise.all(
        slots.map(async (slot) => {
          slot.expectedExit = true;
          const exited = new Promise<void>((resolve) => slot.handle.on('exit', () => resolve()));
          if (slot.isReady) {
            await withTimeout(
              this.#request(slot, { type: 'shutdown' }).catch(() => {}),
              2000,
            );
          }
          if (slot.alive) {
            const gone = await withTimeout(
              exited.then(() => true),
              2000,
            );
            if (!gone) await this.#kill(slot);
            await withTimeout(exited, 2000);
          }
        }),
      );
      for (const { recording } of [...this.#recordings.values()]) {
        await this.#abandonRecording(recording, 'engine-closed');
      }
      for (const b of [...this.#bridges.values()]) await b._end('engine-closed', false);
      for (const s of [...this.#sessions.values()]) await s._end('engine-closed', false);
      for (const ep of [...this.#endpoints.values()]) ep._end('engine-closed');
      this.safeEmit('close');
    })();
    return this.#closing;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

function announceFor(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Starts a media engine: `workers` threads (default one per core) that own
 * all RTP/RTCP sockets. Resolves when every worker is ready.
 */
export async function createMediaEngine(options: MediaEngineOptions = {}): Promise<MediaEngine> {
  const engine = new MediaEngine(options);
  await engine._start();
  return engine;
}
