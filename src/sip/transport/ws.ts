/**
 * SIP over WebSocket and secure WebSocket (RFC 7118). The handshake must
 * offer the `sip` subprotocol (§4.1; a handshake without it is refused with
 * 400), browsers' Origin can be checked against an allow-list (§6), and each
 * WebSocket message carries exactly one SIP message in a text or binary
 * frame (§5.1). Via transport WS / WSS. A WebSocket message that holds only
 * CRLFCRLF is a keep-alive ping and is answered with CRLF, as on TCP.
 */
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { StrowgerError } from '../../core/index.js';
import {
  defaultAdvertisedHost,
  formatEndpoint,
  ipFamily,
  isUnspecifiedAddress,
  normalizeAddress,
} from './address.js';
import {
  type Connection,
  STREAM_TRANSPORT_DEFAULTS,
  StreamTransport,
  type StreamTransportOptions,
  type Wire,
} from './stream.js';
import { loadPem, type TlsCredentials } from './tcp.js';
import { defaultPort, type Endpoint, type SendOptions } from './types.js';

export interface WsTransportOptions extends StreamTransportOptions {
  /** WSS (TLS) instead of WS (default false). A listening WSS transport needs `tls.cert` and `tls.key`. */
  secure?: boolean;
  tls?: TlsCredentials;
  /** Server: accept the handshake only on this path (default: any). Client: the path to request (default `/`). */
  path?: string;
  /**
   * Server: the Origin values allowed to connect (RFC 7118 §6), or a predicate.
   * With a list, a handshake whose Origin is absent (not a browser) is accepted
   * and one whose Origin is not listed is refused with 403. Default: any.
   */
  allowedOrigins?: readonly string[] | ((origin: string | undefined) => boolean);
  /** Client: the Origin header to send (default none). */
  origin?: string;
}

export const WS_TRANSPORT_DEFAULTS = Object.freeze({ path: '/', subprotocol: 'sip' });

const SUBPROTOCOL = WS_TRANSPORT_DEFAULTS.subprotocol;

/** Starts a WS or WSS transport (listening unless `listen: false`). */
export async function createWsTransport(options: WsTransportOptions = {}): Promise<WsTransport> {
  const secure = options.secure ?? false;
  const protocol = secure ? 'WSS' : 'WS';
  const address = normalizeAddress(options.address ?? STREAM_TRANSPORT_DEFAULTS.address);
  if (ipFamily(address) === 0)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `bind address must be an IP address, not ${address}`);
  const port = options.port ?? defaultPort(protocol);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `port must be an integer 0-65535, not ${port}`);
  const creds = options.tls ?? {};
  const tls = {
    cert: loadPem(creds.cert),
    key: loadPem(creds.key),
    ca: loadPem(creds.ca),
    passphrase: creds.passphrase,
  };
  if (options.listen === false) return new WsTransport(undefined, { address, port: 0 }, options, tls);
  let server: HttpServer | HttpsServer;
  if (secure) {
    if (!tls.cert || !tls.key)
      throw new StrowgerError('ERR_CONFIG', 'a listening WSS transport needs tls.cert and tls.key');
    server = createHttpsServer({
      ...stripUndefined(tls),
      requestCert: creds.requestCert ?? false,
      rejectUnauthorized: creds.rejectUnauthorized ?? true,
    });
  } else server = createHttpServer();
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
  return new WsTransport(server, { address: a.address, port: a.port }, options, tls);
}

interface TlsParts {
  cert: Buffer | Buffer[] | undefined;
  key: Buffer | Buffer[] | undefined;
  ca: Buffer | Buffer[] | undefined;
  passphrase: string | undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** SIP over WebSocket (WS or WSS). Create with {@link createWsTransport}. */
export class WsTransport extends StreamTransport {
  readonly #server: HttpServer | HttpsServer | undefined;
  readonly #wss: WebSocketServer | undefined;
  readonly #options: WsTransportOptions;
  readonly #tls: TlsParts;
  readonly #bindAddress: string;

  /** @internal use {@link createWsTransport} */
  constructor(
    server: HttpServer | HttpsServer | undefined,
    local: Endpoint,
    options: WsTransportOptions,
    tls: TlsParts,
  ) {
    const secure = options.secure ?? false;
    super({
      protocol: secure ? 'WSS' : 'WS',
      secure,
      local,
      advertisedHost: options.advertisedHost ?? defaultAdvertisedHost(local.address),
      options,
      messageOriented: true,
    });
    this.#server = server;
    this.#options = options;
    this.#tls = tls;
    this.#bindAddress = local.address;
    if (server) {
      this.#wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.settings.maxMessageSize,
        perMessageDeflate: false,
        handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      });
      server.on('request', (_req, res) => {
        res.writeHead(426, {
          Upgrade: 'websocket',
          'Sec-WebSocket-Protocol': SUBPROTOCOL,
          Connection: 'close',
        });
        res.end();
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
        this.#upgrade(req, socket, head),
      );
      server.on('tlsClientError', (err: Error) =>
        this.emit(
          'error',
          new StrowgerError('ERR_TRANSPORT', `WSS handshake failed: ${err.message}`, { cause: err }),
        ),
      );
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const remote = {
      address: normalizeAddress(req.socket.remoteAddress ?? ''),
      port: req.socket.remotePort ?? 0,
    };
    const path = this.#options.path;
    if (path !== undefined && (req.url ?? '/').split('?')[0] !== path) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    if (!offered.includes(SUBPROTOCOL)) {
      refuseUpgrade(socket, 400, 'Bad Request', 'the "sip" subprotocol is required');
      return;
    }
    const origin = req.headers.origin;
    if (!this.#originAllowed(origin)) {
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const refusal = this._refusal(remote.address);
    if (refusal) {
      this._refused(remote, refusal);
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const local = {
      address: req.socket.localAddress ?? this.local.address,
      port: req.socket.localPort ?? this.local.port,
    };
    (this.#wss as WebSocketServer).handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.terminate();
        return;
      }
      this.#attach(ws, remote, local, false);
    });
  }

  #originAllowed(origin: string | undefined): boolean {
    const allowed = this.#options.allowedOrigins;
    if (allowed === undefined) return true;
    if (typeof allowed === 'function') return allowed(origin);
    if (origin === undefined) return true;
    const o = origin.toLowerCase();
    return allowed.some((a) => a.toLowerCase() === o);
  }

  #attach(ws: WebSocket, remote: Endpoint, local: Endpoint, outbound: boolean): Connection {
    const wire: Wire = {
      write: (data, text, cb) => ws.send(data, { binary: !text }, cb),
      end: () => ws.close(1000),
      destroy: () => ws.terminate(),
    };
    const c = this._adopt(wire, remote, local, outbound);
    let error: Error | undefined;
    ws.on('message', (data: Buffer, isBinary: boolean) => this._frame(c, data, !isBinary));
    ws.on('error', (err) => {
      error ??= new StrowgerError(
        'ERR_TRANSPORT',
        `${this.protocol} connection ${c.id} failed: ${err.message}`,
        { cause: err },
      );
    });
    ws.on('close', () => this._closed(c, error));
    return c;
  }

  protected _dial(remote: Endpoint, options: SendOptions): Promise<Connection> {
    const scheme = this.secure ? 'wss' : 'ws';
    const url = `${scheme}://${formatEndpoint(remote)}${this.#options.path ?? WS_TRANSPORT_DEFAULTS.path}`;
    const bind = this.#bindAddress;
    const localAddress =
      !isUnspecifiedAddress(bind) && ipFamily(bind) === ipFamily(remote.address) ? bind : undefined;
    const servername =
      options.servername !== undefined && ipFamily(options.servername) === 0 ? options.servername : undefined;
    const t = this.#tls;
    const ws = new WebSocket(url, [SUBPROTOCOL], {
      maxPayload: this.settings.maxMessageSize,
      perMessageDeflate: false,
      ...(this.#options.origin === undefined ? {} : { origin: this.#options.origin }),
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(this.secure
        ? {
            ...stripUndefined(t),
            rejectUnauthorized: this.#options.tls?.rejectUnauthorized ?? true,
            ...(servername === undefined ? {} : { servername }),
          }
        : {}),
    });
    return new Promise((resolve, reject) => {
      let local: Endpoint = { address: this.local.address, port: 0 };
      const untrack = this._track(() =>
        fail(new StrowgerError('ERR_CLOSED', `${this.protocol} transport closed while connecting`)),
      );
      const fail = (err: Error) => {
        untrack();
        timer.cancel();
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(this._connectError(remote, err));
      };
      const timer = this._connectTimer(remote, fail);
      ws.once('upgrade', (res: IncomingMessage) => {
        local = { address: res.socket.localAddress ?? local.address, port: res.socket.localPort ?? 0 };
      });
      ws.once('unexpected-response', (_req, res: IncomingMessage) =>
        fail(
          new StrowgerError(
            'ERR_TRANSPORT',
            `${this.protocol} handshake with ${formatEndpoint(remote)} refused: HTTP ${res.statusCode}`,
          ),
        ),
      );
      ws.once('error', fail);
      ws.once('open', () => {
        if (ws.protocol !== SUBPROTOCOL) {
          fail(
            new StrowgerError(
              'ERR_TRANSPORT',
              `${formatEndpoint(remote)} did not accept the "sip" WebSocket subprotocol`,
            ),
          );
          return;
        }
        untrack();
        timer.cancel();
        ws.off('error', fail);
        if (this.closed) {
          ws.terminate();
          reject(new StrowgerError('ERR_CLOSED', `${this.protocol} transport is closed`));
          return;
        }
        resolve(this.#attach(ws, remote, local, true));
      });
    });
  }

  protected _closeListeners(): Promise<void> {
    const server = this.#server;
    this.#wss?.close();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, detail?: string): void {
  const body = detail ?? '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
