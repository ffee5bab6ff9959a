/**
 * Media "workers" that run in the calling thread, for tests: the same
 * MediaWorkerRuntime and message protocol as a worker thread, over an
 * injected clock and socket factory (a MemoryNetwork and a FakeClock make the
 * whole engine deterministic). Messages are delivered asynchronously in both
 * directions, as between threads. `terminate()` and the `crash` command make
 * the worker "die" the way a thread would.
 */
import { type Clock, type Random, seededRandom } from '../../core/index.js';
import type { RequestMessage, WorkerBootData, WorkerMessage } from './protocol.js';
import { MediaWorkerRuntime } from './runtime.js';
import type { MediaSocketFactory } from './sockets.js';
import type { MediaWorkerHandle, MediaWorkerSpawner } from './worker-script.js';

export interface InProcessWorkerOptions {
  clock: Clock;
  sockets: MediaSocketFactory;
  /** Seed of each worker's randomness (SSRCs, sequence numbers): `seed + index`. */
  seed?: number;
  random?: (index: number) => Random;
}

type Listener = (arg: never) => void;

export class InProcessWorker implements MediaWorkerHandle {
  readonly threadId: number;
  readonly runtime: MediaWorkerRuntime;
  readonly #listeners: Record<'message' | 'error' | 'exit', Listener[]> = {
    message: [],
    error: [],
    exit: [],
  };
  #dead = false;

  constructor(data: WorkerBootData, options: InProcessWorkerOptions) {
    this.threadId = 1000 + data.index;
    this.runtime = new MediaWorkerRuntime({
      post: (m) => this.#deliver('message', m),
      clock: options.clock,
      random: options.random?.(data.index) ?? seededRandom((options.seed ?? 1) + data.index),
      sockets: options.sockets,
      tickMs: data.tickMs,
      maxCatchUpTicks: data.maxCatchUpTicks,
      threadId: this.threadId,
      ...(data.promptDirectory === undefined ? {} : { promptDirectory: data.promptDirectory }),
    });
    this.#deliver('message', { kind: 'event', type: 'ready' });
  }

  on(event: 'message' | 'error' | 'exit', listener: Listener): this {
    this.#listeners[event].push(listener);
    return this;
  }

  postMessage(message: RequestMessage): void {
    if (this.#dead) return;
    const m = structuredClone(message);
    queueMicrotask(() => {
      if (this.#dead) return;
      if (m.command.type === 'crash') {
        this.#die(1, new Error('media worker crash requested'));
        return;
      }
      void this.runtime.handle(m).then(() => {
        if (m.command.type === 'shutdown') this.#die(0);
      });
    });
  }

  terminate(): Promise<number> {
    this.#die(1);
    return Promise.resolve(1);
  }

  #die(code: number, error?: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    this.runtime.close();
    queueMicrotask(() => {
      if (error) for (const l of this.#listeners.error) (l as (e: Error) => void)(error);
      for (const l of this.#listeners.exit) (l as (c: number) => void)(code);
    });
  }

  #deliver(event: 'message', message: WorkerMessage): void {
    if (this.#dead) return;
    const m = structuredClone(message);
    queueMicrotask(() => {
      if (this.#dead) return;
      for (const l of this.#listeners[event]) (l as (m: WorkerMessage) => void)(m);
    });
  }
}

/** A spawner for `createMediaEngine({ spawn })` that runs workers in this thread. */
export function inProcessWorkers(
  options: InProcessWorkerOptions,
): MediaWorkerSpawner & { workers: InProcessWorker[] } {
  const workers: InProcessWorker[] = [];
  const spawn = (data: WorkerBootData) => {
    const w = new InProcessWorker(data, options);
    workers.push(w);
    return w;
  };
  return Object.assign(spawn, { workers });
}
