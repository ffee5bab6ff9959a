/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message. IPv4 or IPv6
 * by the bind address; a `::` bind is dual-stack unless `ipv6Only`, and the
 * IPv4 peers it sees are reported as plain IPv4 addresses.
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  defaultAdvertisedHost,
  formatEndpoint,
  ipFamily,
  isBroadcastAddress,
  isUnspecifiedAddress,
  normalizeAddress,
} from './address.js';
import type { Endpoint, SendResult, SipTransport, TransportEvents } from './types.js';
import { bindSocketIo, bindThreadIo, type DatagramIo } from './udp-io.js';

export interface UdpTransportOptions {
  /** Local address to bind: an IPv4 or IPv6 literal (default `0.0.0.0`; `::` is dual-stack). */
  address?: string;
  /** Local port (default 5060; 0 picks a free one, read it back from `local.port`). */
  port?: number;
  /** Host for Via sent-by and Contact (default: the bind address, or an interface address for an unspecified bind). */
  advertisedHost?: string;
  /** With a `::` bind: refuse IPv4 peers (default false). */
  ipv6Only?: boolean;
  /**
   * Kernel receive buffer size to ask for, bytes (default: the system's). Linux caps it at
   * `net.core.rmem_max`; read what was granted from {@link UdpTransport.receiveBufferSize}.
   */
  receiveBufferSize?: number;
  /**
   * Run the socket on a thread of its own (default false): the sends and receives of one
   * event-loop turn cross between the threads in one message each way, and the system
   * calls leave the SIP thread. Worth it under load (a busy switch); it adds a thread hop
   * (tens of microseconds) to every datagram.
   */
  ioThread?: boolean;
}

export const UDP_TRANSPORT_DEFAULTS = Object.freeze({ address: '0.0.0.0', port: 5060 });

/** Binds a UDP transport; resolves once the socket is listening. */
export async function createUdpTransport(options: UdpTransportOptions = {}): Promise<UdpTransport> {
  const address = normalizeAddress(options.address ?? UDP_TRANSPORT_DEFAULTS.address);
  const family = ipFamily(address);
  if (family === 0)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `UDP bind address must be an IP address, not ${address}`);
  const port = options.port ?? UDP_TRANSPORT_DEFAULTS.port;
  checkPort(port, true);
  const bind = options.ioThread ? bindThreadIo : bindSocketIo;
  let io: DatagramIo;
  try {
    io = await bind({
      address,
      port,
      family,
      ipv6Only: options.ipv6Only ?? false,
      receiveBufferSize: options.receiveBufferSize,
    });
  } catch (err) {
    throw new StrowgerError(
      'ERR_TRANSPORT',
      `cannot bind UDP ${address}:${port}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const dualStack = family === 6 && isUnspecifiedAddress(address) && !options.ipv6Only;
  return new UdpTransport(io, options.advertisedHost ?? defaultAdvertisedHost(address), dualStack);
}

function checkPort(port: number, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535)
    throw new StrowgerError(
      'ERR_INVALID_ARGUMENT',
      `port must be an integer ${allowZero ? 0 : 1}-65535, not ${port}`,
    );
}

/** A bound UDP socket. Create with {@link createUdpTransport}. */
export class UdpTransport extends TypedEmitter<TransportEvents> implements SipTransport {
  readonly protocol = 'UDP' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly local: Endpoint;
  readonly advertisedHost: string;
  readonly #io: DatagramIo;
  readonly #family: 4 | 6;
  readonly #dualStack: boolean;
  readonly #result: SendResult;
  #closing: Promise<void> | undefined;
  /** Datagrams handed to the socket whose send has not completed yet. */
  #inflight = 0;
  /** Set while close() waits for the sends in flight. */
  #idle: (() => void) | undefined;

  /** @internal use {@link createUdpTransport} */
  constructor(io: DatagramIo, advertisedHost: string, dualStack: boolean) {
    super();
    this.local = Object.freeze({ address: normalizeAddress(io.address), port: io.port });
    this.#family = io.family;
    this.#dualStack = dualStack;
    this.advertisedHost = advertisedHost;
    this.#io = io;
    this.#result = Object.freeze({ connectionId: undefined, local: this.local });
    io.sink = {
      onMessage: (msg, address, ipv6, port) => this.#onMessage(msg, address, ipv6, port),
      onError: (err) =>
        this.emit(
          'error',
          new StrowgerError('ERR_TRANSPORT', `UDP socket error: ${err.message}`, { cause: err }),
        ),
    };
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The kernel's receive buffer for this socket, bytes, as the kernel reports it (Linux
   * reports twice the granted size: the rest is its bookkeeping). 0 once closed.
   */
  get receiveBufferSize(): number {
    if (this.#closing) return 0;
    try {
      return this.#io.receiveBufferSize();
    } catch {
      return 0;
    }
  }

  send(data: Uint8Array, remote: Endpoint): Promise<SendResult> {
    if (this.#closing) return Promise.reject(new StrowgerError('ERR_CLOSED', 'UDP transport is closed'));
    let address = remote.address;
    const family = ipFamily(address);
    if (family === 0)
      return Promise.reject(
        new StrowgerError('ERR_TRANSPORT', `UDP needs an IP address to send to, not ${address}`),
      );
    if (!Number.isInteger(remote.port) || remote.port < 1 || remote.port > 65535)
      return Promise.reject(new StrowgerError('ERR_TRANSPORT', `invalid destination port ${remote.port}`));
    if (isBroadcastAddress(address))
      return Promise.reject(
        new StrowgerError('ERR_TRANSPORT', `refusing to send to broadcast address ${address}`),
      );
    if (family !== this.#family) {
      if (family === 4 && this.#dualStack) address = `::ffff:${address}`;
      else
        return Promise.reject(
          new StrowgerError(
            'ERR_TRANSPORT',
            `UDP transport on ${this.local.address} cannot reach ${formatEndpoint(remote)}`,
          ),
        );
    } else if (address.charCodeAt(0) === 91) address = address.slice(1, -1);
    this.#inflight++;
    return new Promise((resolve, reject) => {
      this.#io.send(data, remote.port, address, (err) => {
        if (--this.#inflight === 0) this.#idle?.();
        if (err)
          reject(
            new StrowgerError(
              'ERR_TRANSPORT',
              `UDP send to ${formatEndpoint(remote)} failed: ${err.message}`,
              { cause: err },
            ),
          );
        else resolve(this.#result);
      });
    });
  }

  /**
   * Stops receiving at once; datagrams already handed to `send` go out first (a last
   * response before a shutdown), then the socket closes. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = new Promise<void>((resolve) => {
        const closeSocket = () => {
          this.#idle = undefined;
          void this.#io.close().then(() => {
            this.emit('close');
            resolve();
          });
        };
        if (this.#inflight === 0) closeSocket();
        else this.#idle = closeSocket;
      });
    }
    return this.#closing;
  }

  #onMessage(msg: Buffer, address: string, ipv6: boolean, port: number): void {
    if (this.#closing) return;
    // a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    const remote: Endpoint = { address: ipv6 ? normalizeAddress(address) : address, port };
    if (isKeepAlive(msg)) {
      // RFC 5626 CRLF keep-alives are for streams, but many UAs send them over UDP too: never a parse error
      this.emit('keepalive', remote, undefined);
      return;
    }
    this.emit('message', msg, remote, undefined);
  }
}

/** A datagram of nothing but CR and LF (a keep-alive some UAs send over UDP). */
function isKeepAlive(msg: Uint8Array): boolean {
  if (msg.length === 0 || msg.length > 4) return msg.length === 0;
  for (let i = 0; i < msg.length; i++) if (msg[i] !== 13 && msg[i] !== 10) return false;
  return true;
}
