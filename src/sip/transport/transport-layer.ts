/**
 * The transport layer (RFC 3261 §18) above every transport: parses inbound
 * bytes, stamps `received`/`rport` on requests (§18.2.1, RFC 3581), answers
 * unparseable requests statelessly, fills in the top Via of outbound
 * requests (§18.1.1, switching to a reliable transport above the MTU) and
 * routes responses back (§18.2.2, RFC 3581 §4).
 */

import { channel } from 'node:diagnostics_channel';
import { CHANNELS, type Clock, realClock, StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  isRequest,
  SipParseError,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  type Via,
} from '../message/index.js';
import { type ParserLimits, parseMessage, statelessErrorResponse } from '../parser/index.js';
import {
  defaultPort,
  type Endpoint,
  type InboundInfo,
  type SendResult,
  type SipTransport,
  type TransportProtocol,
} from './types.js';

/** A resolved next hop. */
export interface Target extends Endpoint {
  readonly protocol: TransportProtocol;
}

export interface TransportLayerOptions {
  transports: readonly SipTransport[];
  clock?: Clock;
  parser?: Partial<ParserLimits>;
  /** Requests larger than this many bytes go over a reliable transport when one exists (RFC 3261 §18.1.1). */
  mtu?: number;
}

export const TRANSPORT_LAYER_DEFAULTS = Object.freeze({ mtu: 1300 });

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
  readonly #off: Array<() => void> = [];
  #closed = false;

  constructor(options: TransportLayerOptions) {
    super();
    if (options.transports.length === 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'transports must not be empty');
    this.transports = options.transports;
    this.clock = options.clock ?? realClock;
    this.mtu = options.mtu ?? TRANSPORT_LAYER_DEFAULTS.mtu;
    this.#parser = options.parser ?? {};
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
    return this.#closed;
  }

  /** The first transport of a protocol, if any. */
  transportFor(protocol: TransportProtocol): SipTransport | undefined {
    return this.transports.find((t) => t.protocol === protocol && !t.closed);
  }

  /**
   * Sends a request to `target`. The top Via (created by the transaction
   * layer with its branch) gets this transport's protocol, sent-by and
   * `rport`. Above the MTU a UDP request moves to TCP when there is one.
   */
  async sendRequest(request: SipRequest, target: Target): Promise<SentRequest> {
    let protocol = target.protocol;
    let transport = this.transportFor(protocol);
    if (!transport)
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `no ${protocol} transport for ${target.address}:${target.port}`,
      );
    stampVia(request, transport);
    let bytes = serializeMessage(request);
    if (!transport.reliable && bytes.length > this.mtu) {
      const tcp = this.transportFor('TCP');
      if (tcp) {
        transport = tcp;
        protocol = 'TCP';
        stampVia(request, transport);
        bytes = serializeMessage(request);
      }
    }
    const t = protocol === target.protocol ? target : { ...target, protocol };
    const sent = await transport.send(bytes, t);
    publish(transport, 'out', t, bytes);
    return { ...sent, transport, target: t };
  }

  /**
   * Sends a response per RFC 3261 §18.2.2: back over the request's
   * connection on reliable transports; otherwise to `received` (or the
   * sent-by host) at `rport` (or the sent-by port). `inbound` is the request's
   * arrival info when known.
   */
  async sendResponse(response: SipResponse, inbound?: InboundInfo): Promise<void> {
    const via = response.topVia;
    if (!via) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'response has no Via');
    const bytes = serializeMessage(response);
    const protocol = via.transport as TransportProtocol;
    const transport =
      inbound && !inbound.transport.closed
        ? inbound.transport
        : (this.transportFor(protocol) ?? this.transports[0]);
    if (!transport) throw new StrowgerError('ERR_TRANSPORT', 'no transport to send the response');
    const dest = responseDestination(via, inbound, transport.reliable);
    if (isBroadcast(dest.address)) {
      throw new StrowgerError(
        'ERR_TRANSPORT',
        `refusing to send a response to broadcast address ${dest.address}`,
      );
    }
    if (transport.reliable && inbound?.connectionId !== undefined) {
      try {
        await transport.send(bytes, dest, { connectionId: inbound.connectionId, noConnect: true });
        publish(transport, 'out', dest, bytes);
        return;
      } catch {
        // the connection is gone: open a new one to received / sent-by (§18.2.2)
      }
    }
    await transport.send(bytes, dest);
    publish(transport, 'out', dest, bytes);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off) off();
    await Promise.all(this.transports.map((t) => t.close()));
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
        this.sendResponse(answer, inbound).catch((e: Error) => this.emit('error', e));
      }
      this.emit('parseError', err, data, inbound);
      return;
    }
    if (isRequest(msg)) {
      stampReceived(msg, remote);
      this.emit('request', msg, inbound);
    } else {
      this.emit('response', msg, inbound);
    }
  }
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
  v.host = transport.advertisedHost;
  v.port = transport.local.port;
  if (!v.params.has('rport')) v.params.set('rport');
  request.shiftHeader('Via');
  request.prependHeader('Via', v.toString());
}

/** RFC 3261 §18.2.1 and RFC 3581 §4: record where a request really came from. */
function stampReceived(request: SipRequest, remote: Endpoint): void {
  const top = request.via[0];
  if (!top) return;
  const hasRport = top.params.has('rport');
  if (top.host === remote.address && !hasRport) return;
  const v = top.clone();
  if (v.host !== remote.address || hasRport) v.params.set('received', remote.address);
  if (hasRport) v.params.set('rport', String(remote.port));
  request.shiftHeader('Via');
  request.prependHeader('Via', v.toString());
}

function responseDestination(via: Via, inbound: InboundInfo | undefined, reliable: boolean): Endpoint {
  const host = via.received ?? via.maddr ?? via.host;
  const rport = via.rport;
  if (!reliable && typeof rport === 'number') return { address: host, port: rport };
  if (inbound && reliable && via.received !== undefined)
    return { address: inbound.remote.address, port: via.port ?? inbound.remote.port };
  return { address: host, port: via.port ?? defaultPort(via.transport as TransportProtocol) };
}

/** Addresses a response must never be sent to (RFC 4475 bcast). */
function isBroadcast(address: string): boolean {
  return address === '255.255.255.255' || address === '0.0.0.0' || address === '::';
}
