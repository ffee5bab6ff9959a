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
import type { Command, CommandResults, RequestMessage, WorkerMessage } from './protocol.js';
import { type MediaSocketFactory, udpSockets } from './sockets.js';
import { TickScheduler } from './tick-scheduler.js';
import { TranscodeSession } from './transcode-session.js';
import type { EndpointConfig } from './types.js';
import { MODE_IDLE, MODE_RELAY, MODE_TRANSCODE, WorkerEndpoint } from './worker-endpoint.js';

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
        return { completed: await this.#endpoint(command.endpoint).play(command.source) };
      case 'stopPlay':
        this.#endpoint(command.endpoint).stopPlay();
        return null;
      case 'getStats':
        return this.#endpoint(command.endpoint).stats(this.clock.now(), false);
      case 'workerStats': {
        const s = this.#scheduler;
        return {
          threadId: this.#threadId,
          endpoints: this.#endpoints.size,
          sessions: this.#sessions.size,
          tickLoad: this.#transcodes.length * 2 + this.#ticking.length,
          ticks: s.ticks,
          lateTicks: s.lateTicks,
          skippedTicks: s.skippedTicks,
          maxLagMs: s.maxLagMs,
          lagHistogram: Array.from(s.lagHistogram),
          meanTickUs: s.ticks > 0 ? (s.busyMs * 1000) / s.ticks : 0,
          relayedPackets: this.#relayed,
        };
      }
      case 'shutdown':
        this.close();
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

  #closeEndpoint(id: number): void {
    const ep = this.#endpoints.get(id);
    if (!ep) return;
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
      if (ep.mode !== MODE_IDLE) {
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
    if (++this.#tickCount % this.#housekeepEvery === 0) {
      const wall = this.clock.wallTime();
      for (const ep of this.#endpoints.values()) ep.housekeeping(now, wall);
    }
  }

  /** Stops the tick and closes every endpoint (sockets included). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#scheduler.stop();
    for (const id of [...this.#endpoints.keys()]) this.#closeEndpoint(id);
  }
}
