/**
 * What every connection-oriented transport (TCP, TLS, WS, WSS) shares: the
 * connection table, reuse of an open connection to the same remote endpoint
 * whichever side opened it (RFC 3261 §18, RFC 5923 aliases), per-address and
 * total connection limits, the idle timeout and the incomplete-message
 * timeout on the injected clock, RFC 5626 §3.5.1 CRLF keep-alives, and the
 * handling of a stream whose framing is lost (RFC 4475 ncl, mcl01: answer
 * the broken request, then close).
 *
 * A subclass owns the sockets: it dials, accepts, and reports each
 * connection's bytes (or whole WebSocket messages) and its end.
 */
import { isUtf8 } from 'node:buffer';
import { type Clock, type ClockTimer, realClock, StrowgerError, TypedEmitter } from '../../core/index.js';
import type { SipParseError } from '../message/index.js';
import { SipStreamFramer } from '../parser/index.js';
import { endpointKey, formatEndpoint, ipFamily, isBroadcastAddress, normalizeAddress } from './address.js';
import type {
  Endpoint,
  SendOptions,
  SendResult,
  SipTransport,
  TransportEvents,
  TransportProtocol,
} from './types.js';

export interface StreamTransportOptions {
  /** Local address to listen on (default `0.0.0.0`; `::` accepts IPv4 and IPv6). */
  address?: string;
  /** Local port (default: the protocol's; 0 picks a free one, read it back from `local.port`). */
  port?: number;
  /** Host for Via sent-by and Contact (default: the bind address, or an interface address for an unspecified bind). */
  advertisedHost?: string;
  /** Accept inbound connections (default true). A client-only transport only dials out. */
  listen?: boolean;
  clock?: Clock;
  /** Close a connection after this long without a byte in either direction; 0 never (default 180 000 ms). */
  idleTimeoutMs?: number;
  /** Close a connection whose partial message made no progress for this long (default 10 000 ms). */
  incompleteMessageTimeoutMs?: number;
  /** Give up opening a connection after this long (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Most open connections, inbound and outbound together (default 4096); more are refused. */
  maxConnections?: number;
  /** Most open connections with one remote IP address (default 256); more are refused. */
  maxConnectionsPerAddress?: number;
  /** Largest message in bytes (default 65 535); a larger one closes the connection. */
  maxMessageSize?: number;
  /** After closing a connection, wait this long for the peer before dropping it (default 2000 ms). */
  lingerMs?: number;
}

export const STREAM_TRANSPORT_DEFAULTS = Object.freeze({
  address: '0.0.0.0',
  listen: true,
  idleTimeoutMs: 180_000,
  incompleteMessageTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  maxMessageSize: 65_535,
  lingerMs: 2000,
});

type ResolvedOptions = Required<Omit<StreamTransportOptions, 'port' | 'advertisedHost' | 'clock'>>;

/** A snapshot of one open connection. */
export interface ConnectionInfo {
  readonly id: string;
  readonly remote: Endpoint;
  readonly local: Endpoint;
  /** True when this side opened it. */
  readonly outbound: boolean;
  /** Other endpoints that reach this connection (RFC 5923 aliases). */
  readonly aliases: readonly Endpoint[];
  readonly openedAt: number;
  readonly lastActivity: number;
  /** Bytes of an incomplete message waiting for the rest. */
  readonly buffered: number;
}

/** The socket side of one connection, as a subclass hands it to the base. */
export interface Wire {
  write(data: Uint8Array, text: boolean, cb: (err?: Error | null) => void): void;
  /** Graceful close after queued writes. */
  end(): void;
  destroy(): void;
}

const PONG = Buffer.from('\r\n');
const PING = Buffer.from('\r\n\r\n');
let nextConnection = 1;

/** @internal one open connection */
export class Connection {
  readonly id: string;
  readonly remote: Endpoint;
  readonly local: Endpoint;
  readonly outbound: boolean;
  readonly wire: Wire;
  readonly framer: SipStreamFramer | undefined;
  readonly openedAt: number;
  readonly result: SendResult;
  readonly keys: string[] = [];
  readonly aliases: Endpoint[] = [];
  lastActivity: number;
  lastProgress = 0;
  idleTimer: ClockTimer | undefined;
  partialTimer: ClockTimer | undefined;
  lingerTimer: ClockTimer | undefined;
  /** No more input is read; queued and in-flight writes still go out. */
  draining = false;
  closed = false;
  error: Error | undefined;
  /** The chunks that hold the framer's unconsumed bytes (needed only to recover from a framing error). */
  tail: Uint8Array[] = [];
  tailBytes = 0;
  /** How much of a CRLFCRLF keep-alive ping has been seen between messages (0-3). */
  keepAlive = 0;
  readonly done: Promise<void>;
  resolveDone!: () => void;

  constructor(
    prefix: string,
    remote: Endpoint,
    local: Endpoint,
    outbound: boolean,
    wire: Wire,
    framer: SipStreamFramer | undefined,
    now: number,
  ) {
    this.id = `${prefix}#${nextConnection++}`;
    this.remote = remote;
    this.local = local;
    this.outbound = outbound;
    this.wire = wire;
    this.framer = framer;
    this.openedAt = now;
    this.lastActivity = now;
    this.result = Object.freeze({ connectionId: this.id, local });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }
}

export interface StreamTransportInit {
  protocol: TransportProtocol;
  secure: boolean;
  local: Endpoint;
  advertisedHost: string;
  options: StreamTransportOptions;
  /** WebSocket: the wire carries whole messages, no stream framing. */
  messageOriented: boolean;
}

export function resolveStreamOptions(options: StreamTransportOptions): ResolvedOptions {
  const o = { ...STREAM_TRANSPORT_DEFAULTS, ...stripUndefined(options) } as ResolvedOptions & {
    clock?: unknown;
    port?: unknown;
    advertisedHost?: unknown;
  };
  for (const k of [
    'idleTimeoutMs',
    'incompleteMessageTimeoutMs',
    'connectTimeoutMs',
    'maxConnections',
    'maxConnectionsPerAddress',
    'maxMessageSize',
    'lingerMs',
  ] as const) {
    const v = o[k];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `${k} must be a finite number >= 0`);
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export abstract class StreamTransport extends TypedEmitter<TransportEvents> implements SipTransport {
  readonly protocol: TransportProtocol;
  readonly reliable = true;
  readonly secure: boolean;
  readonly local: Endpoint;
  readonly advertisedHost: string;
  readonly clock: Clock;
  /** Connections refused because a limit was reached (inbound and outbound). */
  refusedConnections = 0;
  protected readonly settings: ResolvedOptions;
  readonly #messageOriented: boolean;
  readonly #byId = new Map<string, Connection>();
  readonly #byKey = new Map<string, Connection>();
  readonly #perAddress = new Map<string, number>();
  readonly #dialing = new Map<string, Promise<Connection>>();
  /** Cancels work in flight that is not a connection yet (dials, handshakes), run on close. */
  readonly #aborts = new Set<() => void>();
  #closing: Promise<void> | undefined;

  protected constructor(init: StreamTransportInit) {
    super();
    this.protocol = init.protocol;
    this.secure = init.secure;
    this.local = Object.freeze({ address: normalizeAddress(init.local.address), port: init.local.port });
    this.advertisedHost = init.advertisedHost;
    this.clock = init.options.clock ?? realClock;
    this.settings = resolveStreamOptions(init.options);
    this.#messageOriented = init.messageOriented;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Open connections (a draining one counts until it is gone). */
  get connectionCount(): number {
    return this.#byId.size;
  }

  /** A snapshot of the open connections. */
  connections(): ConnectionInfo[] {
    return [...this.#byId.values()].map((c) => ({
      id: c.id,
      remote: c.remote,
      local: c.local,
      outbound: c.outbound,
      aliases: c.aliases.slice(),
      openedAt: c.openedAt,
      lastActivity: c.lastActivity,
      buffered: c.framer?.buffered ?? 0,
    }));
  }

  /** The id of the open connection that a send to `remote` would reuse, if any. */
  connectionTo(remote: Endpoint): string | undefined {
    return this.#byKey.get(endpointKey(remote))?.id;
  }

  /** Closes one connection gracefully (queued writes go out first). */
  closeConnection(connectionId: string): void {
    const c = this.#byId.get(connectionId);
    if (c) this.#end(c, undefined);
  }

  /** Sends an RFC 5626 §3.5.1 CRLFCRLF keep-alive ping over a connection (the peer answers CRLF). */
  ping(connectionId: string): Promise<void> {
    const c = this.#byId.get(connectionId);
    if (!c || c.draining)
      return Promise.reject(new StrowgerError('ERR_TRANSPORT', `no open connection ${connectionId}`));
    return this.#write(c, PING).then(() => undefined);
  }

  addAlias(connectionId: string, remote: Endpoint): void {
    const c = this.#byId.get(connectionId);
    if (!c || c.draining || ipFamily(remote.address) === 0) return;
    const key = endpointKey(remote);
    if (c.keys.includes(key)) return;
    const held = this.#byKey.get(key);
    if (held && held !== c && !held.draining) return; // a live connection already serves that endpoint
    c.keys.push(key);
    c.aliases.push({ address: normalizeAddress(remote.address), port: remote.port });
    this.#byKey.set(key, c);
  }

  async send(data: Uint8Array, remote: Endpoint, options: SendOptions = {}): Promise<SendResult> {
    if (this.#closing) throw new StrowgerError('ERR_CLOSED', `${this.protocol} transport is closed`);
    let conn: Connection | undefined;
    if (options.connectionId !== undefined) {
      conn = this.#byId.get(options.connectionId);
      if (conn?.closed) conn = undefined;
    }
    if (!conn) {
      const reuse = this.#byKey.get(endpointKey(remote));
      if (reuse && !reuse.draining) conn = reuse;
    }
    if (!conn) {
      if (options.noConnect)
        throw new StrowgerError(
          'ERR_TRANSPORT',
          `no open ${this.protocol} connection to ${formatEndpoint(remote)}`,
        );
      conn = await this.#connect(remote, options);
    }
    await this.#write(conn, data);
    return conn.result;
  }

  close(): Promise<void> {
    if (!this.#closing) this.#closing = this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const listeners = this._closeListeners();
    for (const abort of [...this.#aborts]) abort();
    this.#aborts.clear();
    await Promise.allSettled([...this.#dialing.values()]);
    const open = [...this.#byId.values()];
    for (const c of open) {
      c.draining = true;
      c.wire.destroy();
    }
    await Promise.all([listeners, ...open.map((c) => c.done)]);
    this.emit('close');
  }

  // ---- for subclasses ------------------------------------------------------------------------

  /** Opens a connection to `remote` and hands it to {@link _adopt}; rejects with ERR_TRANSPORT on failure. */
  protected abstract _dial(remote: Endpoint, options: SendOptions): Promise<Connection>;

  /** Stops accepting and resolves when the listening sockets are closed. */
  protected abstract _closeListeners(): Promise<void>;

  /**
   * Registers how to cancel a dial or handshake in flight when the transport
   * closes; call the returned function once it has settled.
   */
  /** The error a failed outbound connection attempt rejects with. */
  protected _connectError(remote: Endpoint, err: Error): StrowgerError {
    if (err instanceof StrowgerError) return err;
    return new StrowgerError(
      'ERR_TRANSPORT',
      `cannot connect ${this.protocol} to ${formatEndpoint(remote)}: ${err.message}`,
      {
        cause: err,
      },
    );
  }

  /** Fails a connection attempt with ERR_TIMEOUT after the configured connect timeout. */
  protected _connectTimer(remote: Endpoint, fail: (err: Error) => void): ClockTimer {
    const ms = this.settings.connectTimeoutMs;
    return this.clock.setTimeout(
      () =>
        fail(
          new StrowgerError(
            'ERR_TIMEOUT',
            `${this.protocol} connect to ${formatEndpoint(remote)} timed out after ${ms} ms`,
          ),
        ),
      ms,
    );
  }

  protected _track(abort: () => void): () => void {
    if (this.#closing) {
      abort();
      return () => {};
    }
    this.#aborts.add(abort);
    return () => {
      this.#aborts.delete(abort);
    };
  }

  /** Why a new connection with `address` must be refused, or undefined when it may open. */
  protected _refusal(address: string): string | undefined {
    if (this.#closing) return 'transport is closing';
    if (this.#byId.size + this.#dialing.size >= this.settings.maxConnections)
      return `connection limit (${this.settings.maxConnections}) reached`;
    const n = this.#perAddress.get(normalizeAddress(address)) ?? 0;
    if (n >= this.settings.maxConnectionsPerAddress)
      return `per-address connection limit (${this.settings.maxConnectionsPerAddress}) reached for ${normalizeAddress(address)}`;
    return undefined;
  }

  /** Reports an inbound connection refused by a limit. */
  protected _refused(remote: Endpoint, reason: string): void {
    this.refusedConnections++;
    this.emit(
      'error',
      new StrowgerError(
        'ERR_TRANSPORT',
        `refused ${this.protocol} connection from ${formatEndpoint(remote)}: ${reason}`,
      ),
    );
  }

  /** Registers an established connection; the subclass then routes its input to {@link _data}/{@link _frame}. */
  protected _adopt(wire: Wire, remote: Endpoint, local: Endpoint, outbound: boolean): Connection {
    const r = { address: normalizeAddress(remote.address), port: remote.port };
    const l = { address: normalizeAddress(local.address), port: local.port };
    const framer = this.#messageOriented
      ? undefined
      : new SipStreamFramer({ maxMessageSize: this.settings.maxMessageSize });
    const c = new Connection(this.protocol.toLowerCase(), r, l, outbound, wire, framer, this.clock.now());
    this.#byId.set(c.id, c);
    const key = endpointKey(r);
    c.keys.push(key);
    const held = this.#byKey.get(key);
    if (!held || held.draining) this.#byKey.set(key, c);
    this.#perAddress.set(r.address, (this.#perAddress.get(r.address) ?? 0) + 1);
    if (this.settings.idleTimeoutMs > 0) this.#armIdle(c, this.settings.idleTimeoutMs);
    this.emit('connection', c.id, r);
    return c;
  }

  /**
   * Bytes arrived on a byte-stream connection.
   *
   * CR/LF between messages (RFC 5626 keep-alives, stray line ends) is read
   * here, not by the framer, and every chunk handed to the framer ends with
   * a byte that is not CR or LF (a CR/LF run that ends a chunk inside a
   * message goes one byte at a time until the message is complete). The
   * framer, given a lone CR as the last byte it holds between messages,
   * looks one byte past its data and can misread it; this keeps it from
   * ever holding one.
   */
  protected _data(c: Connection, chunk: Uint8Array): void {
    if (c.draining || c.closed) return;
    const now = this.clock.now();
    c.lastActivity = now;
    const framer = c.framer as SipStreamFramer;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (framer.idle) {
        while (i < n && isCrOrLf(chunk[i] as number)) {
          if (keepAliveStep(c, chunk[i] as number)) this.#answerPing(c, false);
          i++;
        }
        if (i === n) break;
        c.keepAlive = 0;
      }
      let end = n;
      while (end > i && isCrOrLf(chunk[end - 1] as number)) end--;
      if (end === i) end = i + 1;
      if (!this.#push(c, chunk.subarray(i, end))) return;
      i = end;
    }
    if (!framer.idle) {
      c.lastProgress = now;
      if (!c.partialTimer?.pending) this.#armPartial(c, this.settings.incompleteMessageTimeoutMs);
    }
  }

  /** Frames one piece of a chunk; false when the connection stopped reading (framing lost, or closed by a listener). */
  #push(c: Connection, piece: Uint8Array): boolean {
    const framer = c.framer as SipStreamFramer;
    const before = framer.buffered;
    let out: ReturnType<SipStreamFramer['push']>;
    try {
      out = framer.push(piece);
    } catch (err) {
      this.#framingError(c, before, piece, err as SipParseError);
      return false;
    }
    if (framer.idle) {
      if (c.tail.length > 0) {
        c.tail.length = 0;
        c.tailBytes = 0;
      }
    } else keepTail(c, piece, framer.buffered);
    for (let i = 0; i < out.length; i++) {
      if (c.draining) return false;
      const o = out[i] as (typeof out)[number];
      if (o.type === 'message') this.emit('message', o.data, c.remote, c.id);
      else if (o.kind === 'ping') this.#answerPing(c, false);
    }
    return !c.draining;
  }

  /** A whole message arrived on a message-oriented connection (WebSocket). */
  protected _frame(c: Connection, data: Uint8Array, text: boolean): void {
    if (c.draining || c.closed) return;
    c.lastActivity = this.clock.now();
    if (isCrlfOnly(data)) {
      if (data.length === 4) this.#answerPing(c, text);
      return;
    }
    this.emit('message', data, c.remote, c.id);
  }

  /** The wire closed (either side); `error` when it failed. */
  protected _closed(c: Connection, error: Error | undefined): void {
    if (c.closed) return;
    c.closed = true;
    c.draining = true;
    c.idleTimer?.cancel();
    c.partialTimer?.cancel();
    c.lingerTimer?.cancel();
    this.#byId.delete(c.id);
    for (const k of c.keys) if (this.#byKey.get(k) === c) this.#byKey.delete(k);
    const n = (this.#perAddress.get(c.remote.address) ?? 1) - 1;
    if (n > 0) this.#perAddress.set(c.remote.address, n);
    else this.#perAddress.delete(c.remote.address);
    c.tail.length = 0;
    this.emit('disconnect', c.id, c.remote, c.error ?? error);
    c.resolveDone();
  }

  /** Closes a connection with an error (a protocol violation seen by the subclass). */
  protected _fail(c: Connection, error: Error): void {
    this.#end(c, error);
  }

  // ---- internals -------------------------------------------------------------------------------

  async #connect(remote: Endpoint, options: SendOptions): Promise<Connection> {
    const family = ipFamily(remote.address);
    if (family === 0)
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `${this.protocol} needs an IP address to connect to, not ${remote.address}`,
      );
    if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535)
      throw new StrowgerError('ERR_TRANSPORT', `invalid destination port ${remote.port}`);
    if (isBroadcastAddress(remote.address))
      throw new StrowgerError('ERR_TRANSPORT', `refusing to connect to broadcast address ${remote.address}`);
    const key = endpointKey(remote);
    const pending = this.#dialing.get(key);
    if (pending) return pending;
    const refusal = this._refusal(remote.address);
    if (refusal) {
      this.refusedConnections++;
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `cannot open ${this.protocol} connection to ${formatEndpoint(remote)}: ${refusal}`,
      );
    }
    const r = { address: normalizeAddress(remote.address), port: remote.port };
    const dial = this._dial(r, options);
    this.#dialing.set(key, dial);
    this.#perAddress.set(r.address, (this.#perAddress.get(r.address) ?? 0) + 1);
    try {
      return await dial;
    } finally {
      this.#dialing.delete(key);
      const n = (this.#perAddress.get(r.address) ?? 1) - 1;
      if (n > 0) this.#perAddress.set(r.address, n);
      else this.#perAddress.delete(r.address);
    }
  }

  #write(c: Connection, data: Uint8Array): Promise<Connection> {
    c.lastActivity = this.clock.now();
    return new Promise((resolve, reject) => {
      c.wire.write(data, this.#messageOriented && isText(data), (err) => {
        if (err)
          reject(
            new StrowgerError(
              'ERR_TRANSPORT',
              `${this.protocol} send to ${formatEndpoint(c.remote)} failed: ${err.message}`,
              {
                cause: err,
              },
            ),
          );
        else resolve(c);
      });
    });
  }

  #answerPing(c: Connection, text: boolean): void {
    c.wire.write(PONG, text || this.#messageOriented, () => {});
    this.emit('keepalive', c.remote, c.id);
  }

  /** Starts a graceful close: stop reading, let queued writes drain, then end; drop after the linger time. */
  #end(c: Connection, error: Error | undefined): void {
    if (c.closed || (c.draining && c.lingerTimer)) return;
    c.draining = true;
    c.error ??= error;
    c.idleTimer?.cancel();
    c.partialTimer?.cancel();
    for (const k of c.keys) if (this.#byKey.get(k) === c) this.#byKey.delete(k);
    // let a response written from a listener of the last message go out before the FIN
    setImmediate(() => {
      if (!c.closed) c.wire.end();
    });
    c.lingerTimer = this.clock.setTimeout(() => {
      if (!c.closed) c.wire.destroy();
    }, this.settings.lingerMs);
  }

  #armIdle(c: Connection, ms: number): void {
    c.idleTimer = this.clock.setTimeout(() => {
      if (c.draining) return;
      const idle = this.clock.now() - c.lastActivity;
      if (idle >= this.settings.idleTimeoutMs) this.#end(c, undefined);
      else this.#armIdle(c, this.settings.idleTimeoutMs - idle);
    }, ms);
  }

  #armPartial(c: Connection, ms: number): void {
    c.partialTimer = this.clock.setTimeout(() => {
      if (c.draining || !c.framer || c.framer.idle) return;
      const stalled = this.clock.now() - c.lastProgress;
      if (stalled >= this.settings.incompleteMessageTimeoutMs) {
        this.#end(
          c,
          new StrowgerError(
            'ERR_TIMEOUT',
            `incomplete message (${c.framer.buffered} bytes) made no progress for ${this.settings.incompleteMessageTimeoutMs} ms`,
          ),
        );
      } else this.#armPartial(c, this.settings.incompleteMessageTimeoutMs - stalled);
    }, ms);
  }

  /**
   * The framer lost the stream (a bad or repeated Content-Length, a message
   * over the size limit). The framer drops whatever it had completed in the
   * same push, so the bytes are replayed one at a time through a fresh framer:
   * the complete messages before the bad one are delivered, the bad request's
   * header section is handed up so that the transport layer can answer it
   * (RFC 4475 ncl: 400), and the connection is closed.
   */
  #framingError(c: Connection, before: number, chunk: Uint8Array, error: SipParseError): void {
    const all = Buffer.concat([...tailSuffix(c, before), chunk]);
    c.tail.length = 0;
    c.tailBytes = 0;
    const replay = new SipStreamFramer({ maxMessageSize: this.settings.maxMessageSize });
    const state = { keepAlive: 0 };
    let boundary = 0;
    let head: Uint8Array | undefined;
    const one = new Uint8Array(1);
    for (let i = 0; i < all.length; i++) {
      const b = all[i] as number;
      if (replay.idle && isCrOrLf(b)) {
        if (keepAliveStep(state, b)) this.#answerPing(c, false);
        boundary = i + 1;
        continue;
      }
      state.keepAlive = 0;
      one[0] = b;
      let out: ReturnType<SipStreamFramer['push']>;
      try {
        out = replay.push(one);
      } catch {
        head = all.subarray(boundary, i + 1);
        break;
      }
      for (const o of out) {
        if (o.type === 'message') this.emit('message', o.data, c.remote, c.id);
        else if (o.kind === 'ping') this.#answerPing(c, false);
        if (c.draining) return;
      }
      if (replay.idle) boundary = i + 1;
    }
    c.draining = true;
    // the header section of a request with a broken Content-Length parses on its own into a 400 answer;
    // a message over the size limit is not answered (its header section may not even be complete)
    if (head && error.status !== 513) this.emit('message', head, c.remote, c.id);
    this.#end(c, error);
  }
}

/** Keeps the fewest trailing chunks that still hold the framer's `need` unconsumed bytes. */
function keepTail(c: Connection, chunk: Uint8Array, need: number): void {
  c.tail.push(chunk);
  c.tailBytes += chunk.length;
  while (c.tail.length > 1 && c.tailBytes - (c.tail[0] as Uint8Array).length >= need) {
    c.tailBytes -= (c.tail.shift() as Uint8Array).length;
  }
}

/** The last `n` bytes held in the tail chunks. */
function tailSuffix(c: Connection, n: number): Uint8Array[] {
  if (n === 0) return [];
  const out: Uint8Array[] = [];
  let left = n;
  for (let i = c.tail.length - 1; i >= 0 && left > 0; i--) {
    const t = c.tail[i] as Uint8Array;
    if (t.length <= left) {
      out.unshift(t);
      left -= t.length;
    } else {
      out.unshift(t.subarray(t.length - left));
      left = 0;
    }
  }
  return out;
}

function isCrOrLf(b: number): boolean {
  return b === 13 || b === 10;
}

/**
 * One CR or LF between messages: advances the match of CRLFCRLF (an RFC 5626
 * §3.5.1 ping) and returns true when it completes. A CRLF followed by
 * anything else is a pong or a stray line end; neither needs an answer.
 */
function keepAliveStep(s: { keepAlive: number }, b: number): boolean {
  switch (s.keepAlive) {
    case 0:
      s.keepAlive = b === 13 ? 1 : 0;
      return false;
    case 1:
      s.keepAlive = b === 10 ? 2 : b === 13 ? 1 : 0;
      return false;
    case 2:
      s.keepAlive = b === 13 ? 3 : 0;
      return false;
    default:
      if (b === 10) {
        s.keepAlive = 0;
        return true;
      }
      s.keepAlive = b === 13 ? 1 : 0;
      return false;
  }
}

function isCrlfOnly(d: Uint8Array): boolean {
  if (d.length === 0 || d.length > 4) return false;
  for (let i = 0; i < d.length; i++) if (d[i] !== 13 && d[i] !== 10) return false;
  return true;
}

/** True when the bytes are valid UTF-8 (a WebSocket text frame may carry them, RFC 7118 §5.1). */
function isText(d: Uint8Array): boolean {
  return isUtf8(d);
}
