/**
 * The transport layer (RFC 3261 §18) above every transport: parses inbound
 * bytes, stamps `received`/`rport` on requests (§18.2.1, RFC 3581), answers
 * unparseable requests statelessly, fills in the top Via of outbound
 * requests (§18.1.1, switching to TCP above the MTU) and routes responses
 * back (§18.2.2, RFC 3581 §4), IPv4 and IPv6 alike. Nothing is ever sent to
 * a broadcast address.
 */

import { channel } from 'node:diagnostics_channel';
import { CHANNELS, type Clock, realClock, StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  isRequest,
  type SipMessage,
  SipParseError,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  type Via,
} from '../message/index.js';
import { type ParserLimits, parseMessage, statelessErrorResponse } from '../parser/index.js';
import {
  canReach,
  formatEndpoint,
  ipFamily,
  isBroadcastAddress,
  normalizeAddress,
  sameAddress,
} from './address.js';
import { LoopTransport } from './loop.js';
import { type SipResolver, systemResolver } from './resolve.js';
import {
  defaultPort,
  type Endpoint,
  type InboundInfo,
  type SendOptions,
  type SendResult,
  type SipTransport,
  type Target,
  type TransportProtocol,
} from './types.js';

export type { Target } from './types.js';

export interface TransportLayerOptions {
  transports: readonly SipTransport[];
  clock?: Clock;
  parser?: Partial<ParserLimits>;
  /** Requests larger than this many bytes go over TCP when a TCP transport exists (RFC 3261 §18.1.1; default 1300). */
  mtu?: number;
  /** Resolves a host name met as a destination (a Via sent-by without `received`, RFC 3263 §5); default: the system's. */
  resolver?: SipResolver;
  /**
   * Whose RFC 5923 Via `alias` to honour, making the connection a request
   * came over reusable for requests to its sender's sent-by port: `secure`
   * (TLS, WSS; the default — RFC 5923 §9), `all`, or `none`.
   */
  aliases?: 'secure' | 'all' | 'none';
}

export const TRANSPORT_LAYER_DEFAULTS = Object.freeze({ mtu: 1300, aliases: 'secure' as const });

export type TransportLayerEvents = {
  request: [request: SipRequest, inbound: InboundInfo];
  response: [response: SipResponse, inbound: InboundInfo];
  /** Bytes that did not parse. A request was already answered statelessly when that was possible. */
  parseError: [error: SipParseError, data: Uint8Array, inbound: InboundInfo];
  /** A send or a transport failed (the message is lost; the transaction layer times out). */
  error: [error: Error];
};

/** What {@link TransportLayer.sendRequest} did: the transport and connection used. */
export interface SentRequest extends SendResult {
  readonly transport: SipTransport;
  readonly target: Target;
}

const messageChannel = channel(CHANNELS.sipMessage);
const parseErrorChannel = channel(CHANNELS.sipParseError);

export class TransportLayer extends TypedEmitter<TransportLayerEvents> {
  readonly transports: readonly SipTransport[];
  readonly clock: Clock;
  readonly mtu: number;
  readonly #parser: Partial<ParserLimits>;
  readonly #resolver: SipResolver;
  readonly #aliases: 'secure' | 'all' | 'none';
  readonly #off: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  constructor(options: TransportLayerOptions) {
    super();
    if (options.transports.length === 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'transports must not be empty');
    this.transports = options.transports;
    this.clock = options.clock ?? realClock;
    this.mtu = options.mtu ?? TRANSPORT_LAYER_DEFAULTS.mtu;
    this.#parser = options.parser ?? {};
    this.#resolver = options.resolver ?? systemResolver;
    this.#aliases = options.aliases ?? TRANSPORT_LAYER_DEFAULTS.aliases;
    for (const t of this.transports) {
      const onMessage = (data: Uint8Array, remote: Endpoint, connectionId: string | undefined) =>
        this.#receive(t, data, remote, connectionId);
      const onError = (err: Error) => this.emit('error', err);
      t.on('message', onMessage);
      t.on('error', onError);
      this.#off.push(() => {
        t.off('message', onMessage);
        t.off('error', onError);
      });
    }
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * An open transport of a protocol; with `address`, one that can reach it
   * (same IP family, or a dual-stack `::` bind), falling back to the first of
   * the protocol.
   */
  transportFor(protocol: TransportProtocol, address?: string): SipTransport | undefined {
    let first: SipTransport | undefined;
    for (const t of this.transports) {
      if (t.protocol !== protocol || t.closed) continue;
      if (address === undefined || canReach(t.local.address, address)) return t;
      first ??= t;
    }
    return address !== undefined && ipFamily(address) !== 0 ? undefined : first;
  }

  /**
   * Sends a request to `target`. The top Via (created by the transaction
   * layer with its branch) gets this transport's protocol, sent-by and
   * `rport`. Above the MTU a UDP request moves to TCP when there is one.
   * A host name as `target.address` is resolved (A/AAAA) first.
   *
   * The Via is stamped synchronously, before the returned promise settles
   * (the transaction layer reads the protocol chosen at once); a host name
   * that resolves to the other IP family may re-stamp it with that family's
   * transport later.
   */
  sendRequest(request: SipRequest, target: Target): Promise<SentRequest> {
    try {
      const host = normalizeAddress(target.address);
      const literal = ipFamily(host) !== 0 || this.#loopOnly;
      if (literal && isBroadcastAddress(host))
        throw new StrowgerError('ERR_TRANSPORT', `refusing to send to broadcast address ${host}`);
      const prepared = this.#prepare(request, target, literal ? host : undefined);
      if (literal) return this.#sendPrepared(prepared, target, host);
      return this.#toAddress(host, target.protocol).then((address) => {
        const again = canReach(prepared.transport.local.address, address)
          ? prepared
          : this.#prepare(request, target, address);
        return this.#sendPrepared(again, target, address);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  get #loopOnly(): boolean {
    return this.transports.every((t) => t instanceof LoopTransport);
  }

  /** Chooses the transport (switching to TCP above the MTU), stamps the Via and serializes. */
  #prepare(
    request: SipRequest,
    target: Target,
    address: string | undefined,
  ): { transport: SipTransport; protocol: TransportProtocol; bytes: Uint8Array } {
    let protocol = target.protocol;
    let transport = this.transportFor(protocol, address);
    if (!transport)
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `no ${protocol} transport for ${formatEndpoint({ address: address ?? target.address, port: target.port })}`,
      );
    stampVia(request, transport);
    let bytes = serializeMessage(request);
    if (!transport.reliable && bytes.length > this.mtu) {
      const tcp = this.transportFor('TCP', address);
      if (tcp) {
        transport = tcp;
        protocol = 'TCP';
        stampVia(request, transport);
        bytes = serializeMessage(request);
      }
    }
    return { transport, protocol, bytes };
  }

  async #sendPrepared(
    prepared: { transport: SipTransport; protocol: TransportProtocol; bytes: Uint8Array },
    target: Target,
    address: string,
  ): Promise<SentRequest> {
    const { transport, protocol, bytes } = prepared;
    const t: Target =
      protocol === target.protocol && address === target.address ? target : { ...target, address, protocol };
    let options: SendOptions | undefined;
    if (target.connectionId !== undefined && protocol === target.protocol)
      options = { connectionId: target.connectionId };
    if (target.hostname !== undefined && transport.secure)
      options = { ...options, servername: target.hostname };
    const sent = await transport.send(bytes, t, options);
    publish(transport, 'out', t, bytes);
    return { ...sent, transport, target: t };
  }

  /**
   * Sends a response per RFC 3261 §18.2.2 and RFC 3581 §4: back over the
   * request's connection on reliable transports, and when that is gone over
   * a new one to `received` (or the sent-by host) at the sent-by port; on
   * unreliable ones to `maddr`, else to `received` at `rport` (or the sent-by
   * port), else to the sent-by. `inbound` is the request's arrival info when
   * known.
   */
  sendResponse(response: SipResponse, inbound?: InboundInfo): Promise<void> {
    try {
      const via = response.topVia;
      if (!via) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'response has no Via');
      return this.sendSerializedResponse(serializeMessage(response), via, inbound);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * {@link sendResponse} for a response already serialized: `bytes` is its
   * wire form and `via` its top Via (which decides where it goes). A server
   * transaction that has completed keeps only these to retransmit its final
   * response, not the parsed message.
   */
  sendSerializedResponse(bytes: Uint8Array, via: Via, inbound?: InboundInfo): Promise<void> {
    // synchronous up to the transport's send when the destination is an address (the
    // transaction layer's tests see the bytes on the loop network at once)
    try {
      if (
        inbound &&
        !inbound.transport.closed &&
        inbound.transport.reliable &&
        inbound.connectionId !== undefined
      ) {
        const transport = inbound.transport;
        return transport
          .send(bytes, inbound.remote, { connectionId: inbound.connectionId, noConnect: true })
          .then(
            () => publish(transport, 'out', inbound.remote, bytes),
            // the connection is gone: open a new one to received / sent-by (§18.2.2)
            () => this.#sendResponseAnew(bytes, via, inbound),
          );
      }
      return this.#sendResponseAnew(bytes, via, inbound);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** §18.2.2 without a connection to reuse: the destination from the Via. */
  #sendResponseAnew(bytes: Uint8Array, via: Via, inbound: InboundInfo | undefined): Promise<void> {
    const protocol = via.transport as TransportProtocol;
    if (protocol === 'WS' || protocol === 'WSS')
      // RFC 7118 §5: a WebSocket client cannot be reached on a new connection
      throw new StrowgerError('ERR_TRANSPORT', `the ${protocol} connection of the request is gone`);
    const reliable =
      inbound && !inbound.transport.closed ? inbound.transport.reliable : isReliableProtocol(protocol);
    const dest = responseDestination(via, reliable);
    const host = normalizeAddress(dest.address);
    if (ipFamily(host) !== 0 || this.#loopOnly) {
      if (isBroadcastAddress(host))
        throw new StrowgerError('ERR_TRANSPORT', `refusing to send to broadcast address ${host}`);
      return this.#sendResponseTo(bytes, host, dest, protocol, inbound);
    }
    return this.#toAddress(host, protocol).then((address) =>
      this.#sendResponseTo(bytes, address, dest, protocol, inbound),
    );
  }

  #sendResponseTo(
    bytes: Uint8Array,
    address: string,
    dest: Endpoint,
    protocol: TransportProtocol,
    inbound: InboundInfo | undefined,
  ): Promise<void> {
    const transport =
      inbound && !inbound.transport.closed && canReach(inbound.transport.local.address, address)
        ? inbound.transport
        : (this.transportFor(protocol, address) ?? this.transportFor('UDP', address));
    if (!transport)
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `no transport to send the response to ${formatEndpoint(dest)}`,
      );
    const to = address === dest.address ? dest : { address, port: dest.port };
    return transport.send(bytes, to).then(() => publish(transport, 'out', to, bytes));
  }

  /** Closes every transport (idempotent). */
  close(): Promise<void> {
    if (!this.#closing) {
      for (const off of this.#off) off();
      this.#closing = Promise.all(this.transports.map((t) => t.close())).then(() => undefined);
    }
    return this.#closing;
  }

  /** An IP address for a destination host: literals pass, names are resolved (RFC 3263 §5, A/AAAA). */
  async #toAddress(host: string, protocol: TransportProtocol): Promise<string> {
    const h = normalizeAddress(host);
    if (ipFamily(h) !== 0) {
      if (isBroadcastAddress(h))
        throw new StrowgerError('ERR_TRANSPORT', `refusing to send to broadcast address ${h}`);
      return h;
    }
    // the loop network (tests) delivers by name: nothing to resolve
    if (this.#loopOnly) return h;
    const addresses = await this.#resolver.lookup(h);
    for (const a of addresses) {
      const n = normalizeAddress(a);
      if (!isBroadcastAddress(n) && this.transportFor(protocol, n)) return n;
    }
    const any = addresses.map(normalizeAddress).find((a) => !isBroadcastAddress(a));
    if (any === undefined) throw new StrowgerError('ERR_TRANSPORT', `cannot resolve ${h} to an address`);
    return any;
  }

  #receive(
    transport: SipTransport,
    data: Uint8Array,
    remote: Endpoint,
    connectionId: string | undefined,
  ): void {
    const inbound: InboundInfo = { transport, remote, connectionId, receivedAt: this.clock.now() };
    publish(transport, 'in', remote, data);
    let msg: SipRequest | SipResponse;
    try {
      msg = parseMessage(data, this.#parser);
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      if (parseErrorChannel.hasSubscribers) parseErrorChannel.publish({ remote, error: err });
      const answer = statelessErrorResponse(data, err);
      if (answer) {
        let routable = true;
        try {
          stampReceived(answer, remote);
        } catch {
          routable = false; // a Via that parsed alone but not in the answer: nobody to answer
        }
        if (routable) this.sendResponse(answer, inbound).catch((e: Error) => this.emit('error', e));
      }
      this.emit('parseError', err, data, inbound);
      return;
    }
    if (isRequest(msg)) {
      try {
        stampReceived(msg, remote);
      } catch (err) {
        // the top Via failed to parse lazily: the request cannot be answered
        if (err instanceof SipParseError) {
          this.emit('parseError', err, data, inbound);
          return;
        }
        throw err;
      }
      if (connectionId !== undefined) this.#alias(transport, connectionId, remote, msg);
      this.emit('request', msg, inbound);
    } else {
      this.emit('response', msg, inbound);
    }
  }

  /** RFC 5923: a request with Via `alias` makes its connection reusable for its sender's sent-by port. */
  #alias(transport: SipTransport, connectionId: string, remote: Endpoint, request: SipRequest): void {
    if (this.#aliases === 'none' || !transport.addAlias) return;
    if (this.#aliases === 'secure' && !transport.secure) return;
    const top = request.topVia;
    if (!top?.params.has('alias')) return;
    transport.addAlias(connectionId, {
      address: remote.address,
      port: top.port ?? defaultPort(transport.protocol),
    });
  }
}

function isReliableProtocol(p: TransportProtocol): boolean {
  return p !== 'UDP';
}

function publish(
  transport: SipTransport,
  direction: 'in' | 'out',
  remote: Endpoint,
  bytes: Uint8Array,
): void {
  if (messageChannel.hasSubscribers)
    messageChannel.publish({ transport: transport.protocol, direction, remote, bytes });
}

/** Fills the top Via's protocol and sent-by from the transport; adds `rport` (RFC 3581 §3). */
function stampVia(request: SipRequest, transport: SipTransport): void {
  const vias = request.via;
  const top = vias[0];
  if (!top)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'request has no Via (the transaction layer adds it)');
  const v = top.clone();
  v.transport = transport.protocol;
  v.host = normalizeAddress(transport.advertisedHost);
  v.port = transport.local.port === 0 ? undefined : transport.local.port;
  if (!v.params.has('rport')) v.params.set('rport');
  request.shiftHeader('Via');
  request.prependHeader('Via', v.toString());
}

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: record where a request really came from
 * (`received` when the sent-by host differs from the source address, and
 * always with `rport`; `rport` gets the source port).
 */
function stampReceived(message: SipMessage, remote: Endpoint): void {
  const top = message.via[0];
  if (!top) return;
  const hasRport = top.params.has('rport');
  const sameHost = sameAddress(top.host, remote.address);
  if (sameHost && !hasRport) return;
  const v = top.clone();
  v.params.set('received', normalizeAddress(remote.address));
  if (hasRport) v.params.set('rport', String(remote.port));
  message.shiftHeader('Via');
  message.prependHeader('Via', v.toString());
}

/** The §18.2.2 / RFC 3581 §4 destination of a response when there is no connection to reuse. */
function responseDestination(via: Via, reliable: boolean): Endpoint {
  const port = via.port ?? defaultPort(via.transport as TransportProtocol);
  if (reliable) return { address: via.received ?? via.host, port };
  const maddr = via.maddr;
  if (maddr !== undefined) return { address: normalizeAddress(maddr), port };
  const received = via.received;
  if (received !== undefined) {
    const rport = via.rport;
    return { address: received, port: typeof rport === 'number' ? rport : port };
  }
  return { address: via.host, port };
}
