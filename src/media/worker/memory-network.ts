/**
 * An in-memory datagram network for tests of the media engine (in the spirit
 * of the SIP loop transport): sockets bound to made-up addresses exchange
 * copies of their datagrams through the network object, synchronously or
 * after a latency on an injected clock, with optional loss and a hook that
 * sees (and may drop) every datagram. It implements the worker's
 * {@link MediaSocketFactory}, and `open()` gives a test a plain socket to
 * play the part of a phone.
 */
import { type Clock, type Random, realClock, StrowgerError, seededRandom } from '../../core/index.js';
import type { DatagramHandler, MediaSocket, MediaSocketFactory } from './sockets.js';

export interface MemoryNetworkOptions {
  clock?: Clock;
  random?: Random;
  /** One-way delay (default 0: delivered synchronously, re-entrant sends queued). */
  latencyMs?: number;
  /** Probability in [0, 1) that a datagram is lost (default 0). */
  loss?: number;
}

/** What the hook sees for each datagram. */
export interface MemoryDatagram {
  readonly fromAddress: string;
  readonly fromPort: number;
  readonly toAddress: string;
  readonly toPort: number;
  readonly data: Uint8Array;
}

/** A datagram a test peer received. */
export interface ReceivedDatagram {
  data: Uint8Array;
  address: string;
  port: number;
  atMs: number;
}

const key = (address: string, port: number) => `${address}|${port}`;

export class MemoryNetwork implements MediaSocketFactory {
  readonly clock: Clock;
  readonly random: Random;
  latencyMs: number;
  loss: number;
  readonly #bound = new Map<string, { handler: DatagramHandler }>();
  readonly #hooks: Array<(d: MemoryDatagram) => boolean | undefined> = [];
  readonly #queue: Array<() => void> = [];
  #delivering = false;
  #nextPort = 50000;
  /** Datagrams handed to the network (delivered or not). */
  sent = 0;
  /** Datagrams that reached a bound socket. */
  delivered = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? seededRandom(1);
    this.latencyMs = options.latencyMs ?? 0;
    this.loss = options.loss ?? 0;
  }

  /** Sees every datagram; returning `false` drops it. */
  addHook(hook: (d: MemoryDatagram) => boolean | undefined): () => void {
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  /** Bound ports (for leak checks). */
  get boundCount(): number {
    return this.#bound.size;
  }

  bind(address: string, port: number, onMessage: DatagramHandler): Promise<MediaSocket> {
    try {
      return Promise.resolve(this.#bind(address, port, onMessage));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A plain socket for a test to play a phone with; keeps what it receives in `received`. */
  open(address: string, port = 0): MemoryPeer {
    return new MemoryPeer(this, address, port);
  }

  /** @internal */
  _bindSync(address: string, port: number, onMessage: DatagramHandler): MediaSocket {
    return this.#bind(address, port, onMessage);
  }

  #bind(address: string, port: number, onMessage: DatagramHandler): MediaSocket {
    let p = port;
    if (p === 0) {
      while (this.#bound.has(key(address, this.#nextPort))) this.#nextPort++;
      p = this.#nextPort++;
    }
    const k = key(address, p);
    if (this.#bound.has(k)) {
      const e = new StrowgerError('ERR_TRANSPORT', `cannot bind ${address}:${p}: address in use`);
      Object.assign(e, { errno: 'EADDRINUSE', port: p });
      throw e;
    }
    const entry = { handler: onMessage };
    this.#bound.set(k, entry);
    let closed = false;
    return {
      port: p,
      send: (data, toPort, toAddress) => {
        if (!closed) this.#send(address, p, toAddress, toPort, data);
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (this.#bound.get(k) === entry) this.#bound.delete(k);
      },
    };
  }

  #send(fromAddress: string, fromPort: number, toAddress: string, toPort: number, bytes: Uint8Array): void {
    this.sent++;
    const data = bytes.slice();
    const d: MemoryDatagram = { fromAddress, fromPort, toAddress, toPort, data };
    for (const h of this.#hooks) if (h(d) === false) return;
    if (this.loss > 0 && this.random.next() < this.loss) return;
    const deliver = () => {
      const target = this.#bound.get(key(toAddress, toPort));
      if (!target) return;
      this.delivered++;
      target.handler(data, fromAddress, fromPort);
    };
    if (this.latencyMs > 0) {
      this.clock.setTimeout(() => this.#run(deliver), this.latencyMs);
    } else {
      this.#run(deliver);
    }
  }

  /** Runs deliveries one at a time: a send from inside a handler is queued, not nested. */
  #run(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let f = this.#queue.shift(); f; f = this.#queue.shift()) f();
    } finally {
      this.#delivering = false;
    }
  }
}

/** A test's own socket on a {@link MemoryNetwork}. */
export class MemoryPeer {
  readonly address: string;
  readonly port: number;
  readonly received: ReceivedDatagram[] = [];
  /** Called for each datagram as well (after it is recorded). */
  onMessage: ((d: ReceivedDatagram) => void) | undefined;
  readonly #socket: MediaSocket;
  readonly #clock: Clock;

  constructor(network: MemoryNetwork, address: string, port: number) {
    this.address = address;
    this.#clock = network.clock;
    this.#socket = network._bindSync(address, port, (data, from, fromPort) => {
      const d = { data, address: from, port: fromPort, atMs: this.#clock.now() };
      this.received.push(d);
      this.onMessage?.(d);
    });
    this.port = this.#socket.port;
  }

  send(data: Uint8Array, port: number, address: string): void {
    this.#socket.send(data, port, address);
  }

  close(): void {
    this.#socket.close();
  }
}
