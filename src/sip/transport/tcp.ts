/**
 * SIP over TCP and TLS (RFC 3261 §18, RFC 5630): byte streams framed by
 * {@link SipStreamFramer}; everything about connections lives in
 * {@link StreamTransport}.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
  connect as tlsConnect,
} from 'node:tls';
import { StrowgerError } from '../../core/index.js';
import { defaultAdvertisedHost, ipFamily, isUnspecifiedAddress, normalizeAddress } from './address.js';
import {
  type Connection,
  STREAM_TRANSPORT_DEFAULTS,
  StreamTransport,
  type StreamTransportOptions,
  type Wire,
} from './stream.js';
import { defaultPort, type Endpoint, type SendOptions, type TransportProtocol } from './types.js';

/** A PEM string, a path to a PEM file, or the bytes. */
export type PemSource = string | Uint8Array;

export interface TlsCredentials {
  /** Certificate chain (PEM or file path). Required to listen. */
  cert?: PemSource | readonly PemSource[];
  /** Private key (PEM or file path). Required to listen. */
  key?: PemSource | readonly PemSource[];
  passphrase?: string;
  /** Trusted CAs for verifying the peer (PEM or file path); default: Node's bundled roots. */
  ca?: PemSource | readonly PemSource[];
  /** Server side: ask clients for a certificate (mutual TLS; default false). */
  requestCert?: boolean;
  /**
   * Verify the peer's certificate (default true). On the server side this
   * only matters with `requestCert`.
   */
  rejectUnauthorized?: boolean;
}

export type TcpTransportOptions = StreamTransportOptions;

export interface TlsTransportOptions extends StreamTransportOptions {
  tls: TlsCredentials;
}

/** Reads a PEM given inline or as a file path. */
export function loadPem(source: PemSource | readonly PemSource[] | undefined): Buffer | Buffer[] | undefined {
  if (source === undefined) return undefined;
  if (Array.isArray(source)) return (source as readonly PemSource[]).map((s) => loadOne(s));
  return loadOne(source as PemSource);
}

function loadOne(s: PemSource): Buffer {
  if (typeof s !== 'string') return Buffer.from(s);
  if (s.includes('-----BEGIN')) return Buffer.from(s);
  try {
    return readFileSync(s);
  } catch (err) {
    throw new StrowgerError('ERR_CONFIG', `cannot read PEM file ${s}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

type AnyServer = Server | TlsServer;

/** Shared by TCP and TLS: a listening server and sockets that carry a byte stream. */
abstract class SocketStreamTransport extends StreamTransport {
  protected server: AnyServer | undefined;
  readonly #bindAddress: string;

  protected constructor(
    protocol: TransportProtocol,
    secure: boolean,
    server: AnyServer | undefined,
    local: Endpoint,
    options: StreamTransportOptions,
  ) {
    super({
      protocol,
      secure,
      local,
      advertisedHost: options.advertisedHost ?? defaultAdvertisedHost(local.address),
      options,
      messageOriented: false,
    });
    this.server = server;
    this.#bindAddress = local.address;
  }

  /** Dial options that pin the source address when the transport is bound to one. */
  protected localAddressFor(remote: Endpoint): string | undefined {
    const a = this.#bindAddress;
    if (isUnspecifiedAddress(a) || ipFamily(a) !== ipFamily(remote.address)) return undefined;
    return a;
  }

  /** Wires an accepted or dialed socket to the connection table. */
  protected attach(socket: Socket, remote: Endpoint, outbound: boolean): Connection {
    socket.setNoDelay(true);
    const wire: Wire = {
      write: (data, _text, cb) => {
        socket.write(data, cb);
      },
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    };
    const local = { address: socket.localAddress ?? this.local.address, port: socket.localPort ?? 0 };
    const c = this._adopt(wire, remote, local, outbound);
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => this._data(c, chunk));
    socket.on('error', (err) => {
      error ??= new StrowgerError(
        'ERR_TRANSPORT',
        `${this.protocol} connection ${c.id} failed: ${err.message}`,
        { cause: err },
      );
    });
    socket.on('close', () => this._closed(c, error));
    return c;
  }

  /** Accepts or refuses an inbound socket against the limits. */
  protected admit(socket: Socket): Endpoint | undefined {
    const remote = { address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const refusal = this._refusal(remote.address);
    if (refusal) {
      socket.on('error', () => {});
      socket.destroy();
      this._refused(remote, refusal);
      return undefined;
    }
    return remote;
  }

  protected _closeListeners(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Runs `dial` with the connect timeout on the transport's clock. */
  protected withConnectTimeout(
    remote: Endpoint,
    start: () => Socket,
    readyEvent: 'connect' | 'secureConnect',
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = start();
      const untrack = this._track(() =>
        fail(new StrowgerError('ERR_CLOSED', `${this.protocol} transport closed while connecting`)),
      );
      const fail = (err: Error) => {
        untrack();
        timer.cancel();
        socket.destroy();
        reject(this._connectError(remote, err));
      };
      const timer = this._connectTimer(remote, fail);
      socket.once('error', fail);
      socket.once(readyEvent, () => {
        untrack();
        timer.cancel();
        socket.off('error', fail);
        if (this.closed) {
          socket.destroy();
          reject(new StrowgerError('ERR_CLOSED', `${this.protocol} transport is closed`));
          return;
        }
        resolve(this.attach(socket, remote, true));
      });
    });
  }
}

async function listen(server: AnyServer, address: string, port: number, protocol: string): Promise<Endpoint> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.close();
      reject(
        new StrowgerError(
          'ERR_TRANSPORT',
          `cannot listen on ${protocol} ${address}:${port}: ${err.message}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address();
  if (a === null || typeof a === 'string')
    throw new StrowgerError('ERR_TRANSPORT', `${protocol} server has no address`);
  return { address: a.address, port: a.port };
}

function bindAddress(options: StreamTransportOptions): string {
  const address = normalizeAddress(options.address ?? STREAM_TRANSPORT_DEFAULTS.address);
  if (ipFamily(address) === 0)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `bind address must be an IP address, not ${address}`);
  return address;
}

function bindPort(options: StreamTransportOptions, protocol: TransportProtocol): number {
  const port = options.port ?? defaultPort(protocol);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `port must be an integer 0-65535, not ${port}`);
  return port;
}

/** Starts a TCP transport (listening unless `listen: false`). */
export async function createTcpTransport(options: TcpTransportOptions = {}): Promise<TcpTransport> {
  const address = bindAddress(options);
  const port = bindPort(options, 'TCP');
  if (options.listen === false) return new TcpTransport(undefined, { address, port: 0 }, options);
  const server = createServer({ noDelay: true });
  const local = await listen(server, address, port, 'TCP');
  return new TcpTransport(server, local, options);
}

/** SIP over TCP. Create with {@link createTcpTransport}. */
export class TcpTransport extends SocketStreamTransport {
  /** @internal use {@link createTcpTransport} */
  constructor(server: Server | undefined, local: Endpoint, options: TcpTransportOptions) {
    super('TCP', false, server, local, options);
    server?.on('connection', (socket) => {
      const remote = this.admit(socket);
      if (remote) this.attach(socket, remote, false);
    });
  }

  protected _dial(remote: Endpoint): Promise<Connection> {
    return this.withConnectTimeout(
      remote,
      () => {
        const localAddress = this.localAddressFor(remote);
        return netConnect({
          host: remote.address,
          port: remote.port,
          noDelay: true,
          ...(localAddress === undefined ? {} : { localAddress }),
        });
      },
      'connect',
    );
  }
}

/** Starts a TLS transport (listening unless `listen: false`; listening needs `tls.cert` and `tls.key`). */
export async function createTlsTransport(options: TlsTransportOptions): Promise<TlsTransport> {
  const address = bindAddress(options);
  const port = bindPort(options, 'TLS');
  const creds = options.tls ?? {};
  const cert = loadPem(creds.cert);
  const key = loadPem(creds.key);
  const ca = loadPem(creds.ca);
  const secure = { cert, key, ca, passphrase: creds.passphrase };
  if (options.listen === false) return new TlsTransport(undefined, { address, port: 0 }, options, secure);
  if (!cert || !key)
    throw new StrowgerError('ERR_CONFIG', 'a listening TLS transport needs tls.cert and tls.key');
  const server = createTlsServer({
    ...secure,
    requestCert: creds.requestCert ?? false,
    rejectUnauthorized: creds.rejectUnauthorized ?? true,
    handshakeTimeout: options.connectTimeoutMs ?? STREAM_TRANSPORT_DEFAULTS.connectTimeoutMs,
  });
  const local = await listen(server, address, port, 'TLS');
  return new TlsTransport(server, local, options, secure);
}

interface SecureContextParts {
  cert: Buffer | Buffer[] | undefined;
  key: Buffer | Buffer[] | undefined;
  ca: Buffer | Buffer[] | undefined;
  passphrase: string | undefined;
}

/** SIP over TLS. Create with {@link createTlsTransport}. */
export class TlsTransport extends SocketStreamTransport {
  readonly #secure: SecureContextParts;
  readonly #rejectUnauthorized: boolean;

  /** @internal use {@link createTlsTransport} */
  constructor(
    server: TlsServer | undefined,
    local: Endpoint,
    options: TlsTransportOptions,
    secure: SecureContextParts,
  ) {
    super('TLS', true, server, local, options);
    this.#secure = secure;
    this.#rejectUnauthorized = options.tls?.rejectUnauthorized ?? true;
    if (server) {
      // refuse over-limit peers before spending a handshake on them
      server.on('connection', (socket: Socket) => {
        if (!this.admit(socket)) return;
        // a handshake in flight is not a connection yet: close() must still end it
        const untrack = this._track(() => socket.destroy());
        socket.once('close', untrack);
      });
      server.on('secureConnection', (socket: TLSSocket) => {
        if (socket.destroyed) return;
        const remote = this.admit(socket);
        if (remote) this.attach(socket, remote, false);
      });
      server.on('tlsClientError', (err) =>
        this.emit(
          'error',
          new StrowgerError('ERR_TRANSPORT', `TLS handshake failed: ${err.message}`, { cause: err }),
        ),
      );
    }
  }

  protected _dial(remote: Endpoint, options: SendOptions): Promise<Connection> {
    return this.withConnectTimeout(
      remote,
      () => {
        const localAddress = this.localAddressFor(remote);
        const servername =
          options.servername !== undefined && ipFamily(options.servername) === 0
            ? options.servername
            : undefined;
        const s = this.#secure;
        return tlsConnect({
          host: remote.address,
          port: remote.port,
          ...(s.ca === undefined ? {} : { ca: s.ca }),
          ...(s.cert === undefined ? {} : { cert: s.cert }),
          ...(s.key === undefined ? {} : { key: s.key }),
          ...(s.passphrase === undefined ? {} : { passphrase: s.passphrase }),
          rejectUnauthorized: this.#rejectUnauthorized,
          ...(servername === undefined ? {} : { servername }),
          ...(localAddress === undefined ? {} : { localAddress }),
        });
      },
      'secureConnect',
    );
  }
}
