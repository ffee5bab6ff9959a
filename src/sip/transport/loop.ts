/**
 * An in-memory network for tests (in the spirit of PJSIP's loop transport and
 * pion's virtual network): transports bound to made-up addresses exchange
 * bytes through the network object, with optional latency and loss driven by
 * an injected clock and random source, and a hook that sees (and may drop)
 * every message. Unreliable ("UDP") and reliable ("TCP") kinds behave like
 * their real counterparts as far as the layers above can tell.
 */
import {
  type Clock,
  type Random,
  realClock,
  StrowgerError,
  seededRandom,
  TypedEmitter,
} from '../../core/index.js';
import type {
  Endpoint,
  SendOptions,
  SendResult,
  SipTransport,
  TransportEvents,
  TransportProtocol,
} from './types.js';

export interface LoopNetworkOptions {
  clock?: Clock;
  random?: Random;
  /** One-way delay in ms (default 0: delivered on the next microtask). */
  latencyMs?: number;
  /** Probability in [0, 1) that an unreliable datagram is lost (default 0). */
  loss?: number;
}

/** What the network hook sees for every message. */
export interface LoopPacket {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly protocol: TransportProtocol;
  readonly data: Uint8Array;
  readonly at: number;
}

const key = (e: Endpoint) => `${e.address}|${e.port}`;

export class LoopNetwork {
  readonly clock: Clock;
  readonly random: Random;
  latencyMs: number;
  loss: number;
  readonly #bound = new Map<string, LoopTransport>();
  #nextPort = 40000;
  #hooks: Array<(p: LoopPacket) => boolean | undefined> = [];
  /** Every message handed to the network, in order (delivered or not). */
  readonly log: LoopPacket[] = [];

  constructor(options: LoopNetworkOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? seededRandom(1);
    this.latencyMs = options.latencyMs ?? 0;
    this.loss = options.loss ?? 0;
  }

  /** Binds a transport; port 0 picks a free one. */
  createTransport(
    options: { protocol?: TransportProtocol; address?: string; port?: number } = {},
  ): LoopTransport {
    const protocol = options.protocol ?? 'UDP';
    const address = options.address ?? '127.0.0.1';
    let port = options.port ?? 5060;
    if (port === 0) {
      while (this.#bound.has(key({ address, port: this.#nextPort }))) this.#nextPort++;
      port = this.#nextPort++;
    }
    const local = { address, port };
    if (this.#bound.has(key(local))) {
      throw new StrowgerError('ERR_TRANSPORT', `loop address ${address}:${port} is already bound`);
    }
    const t = new LoopTransport(this, protocol, local);
    this.#bound.set(key(local), t);
    return t;
  }

  /** Adds a hook called for every message; returning false drops it. */
  onPacket(hook: (p: LoopPacket) => boolean | undefined): () => void {
    this.#hooks.push(hook);
    return () => {
      this.#hooks = this.#hooks.filter((h) => h !== hook);
    };
  }

  /** @internal */
  _unbind(t: LoopTransport): void {
    if (this.#bound.get(key(t.local)) === t) this.#bound.delete(key(t.local));
  }

  /** @internal */
  _deliver(from: LoopTransport, to: Endpoint, data: Uint8Array, connectionId: string | undefined): void {
    const packet: LoopPacket = { from: from.local, to, protocol: from.protocol, data, at: this.clock.now() };
    this.log.push(packet);
    for (const h of this.#hooks) if (h(packet) === false) return;
    if (!from.reliable && this.loss > 0 && this.random.next() < this.loss) return;
    const deliver = () => {
      const target = this.#bound.get(key(to));
      if (!target || target.closed || target.reliable !== from.reliable) return;
      target._receive(data, from.local, connectionId === undefined ? undefined : mirror(connectionId));
    };
    if (this.latencyMs > 0) this.clock.setTimeout(deliver, this.latencyMs);
    else queueMicrotask(deliver);
  }
}

/** The id the other side of a loop connection knows it by. */
function mirror(id: string): string {
  const [a, b] = id.slice(5).split('>');
  return `loop:${b}>${a}`;
}

export class LoopTransport extends TypedEmitter<TransportEvents> implements SipTransport {
  readonly protocol: TransportProtocol;
  readonly reliable: boolean;
  readonly secure: boolean;
  readonly local: Endpoint;
  readonly advertisedHost: string;
  readonly #network: LoopNetwork;
  #closed = false;
  readonly #connections = new Set<string>();

  constructor(network: LoopNetwork, protocol: TransportProtocol, local: Endpoint) {
    super();
    this.#network = network;
    this.protocol = protocol;
    this.reliable = protocol !== 'UDP';
    this.secure = protocol === 'TLS' || protocol === 'WSS';
    this.local = local;
    this.advertisedHost = local.address;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async send(data: Uint8Array, remote: Endpoint, options: SendOptions = {}): Promise<SendResult> {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'loop transport is closed');
    let connectionId: string | undefined;
    if (this.reliable) {
      connectionId = options.connectionId ?? `loop:${key(this.local)}>${key(remote)}`;
      if (!this.#connections.has(connectionId)) {
        if (options.noConnect)
          throw new StrowgerError('ERR_TRANSPORT', `no open connection to ${remote.address}:${remote.port}`);
        this.#connections.add(connectionId);
        this.emit('connection', connectionId, remote);
      }
    }
    // a copy: the sender may reuse its buffer (Buffer#slice would share memory)
    this.#network._deliver(this, remote, new Uint8Array(data), connectionId);
    return { connectionId, local: this.local };
  }

  /** @internal */
  _receive(data: Uint8Array, remote: Endpoint, connectionId: string | undefined): void {
    if (this.#closed) return;
    if (connectionId !== undefined && !this.#connections.has(connectionId)) {
      this.#connections.add(connectionId);
      this.emit('connection', connectionId, remote);
    }
    this.emit('message', data, remote, connectionId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#network._unbind(this);
    this.#connections.clear();
    this.emit('close');
  }
}
