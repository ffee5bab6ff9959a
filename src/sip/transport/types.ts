/**
 * The transport contract (RFC 3261 §18). A transport moves framed SIP
 * messages as bytes: a UDP datagram is one message, a stream transport
 * (TCP, TLS, WS) frames messages itself. Parsing, Via stamping and response
 * routing live in {@link TransportLayer}, above every transport.
 */
import type { TypedEmitter } from '../../core/index.js';

/** The Via transport token of a transport. */
export type TransportProtocol = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS' | 'SCTP';

/** An IP address (v4 or v6, no brackets) and a port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** A resolved next hop: where and over which protocol to send. */
export interface Target extends Endpoint {
  readonly protocol: TransportProtocol;
  /**
   * The host name the target was resolved from, when it was one: the domain
   * a TLS/WSS peer's certificate must match (RFC 5922) and the SNI name.
   */
  readonly hostname?: string;
  /**
   * Stream transports: send over this connection when it is still open (an
   * RFC 5626 flow, or the connection a registration came over); otherwise
   * an open connection to the endpoint is reused or a new one opened.
   */
  readonly connectionId?: string;
}

/** Where an inbound message came from and how to answer on the same path. */
export interface InboundInfo {
  readonly transport: SipTransport;
  readonly remote: Endpoint;
  /** Stream transports: the connection the message arrived on (responses go back over it). */
  readonly connectionId: string | undefined;
  /** Clock time when the bytes arrived. */
  readonly receivedAt: number;
}

export interface SendOptions {
  /** Stream transports: send over this connection (a response to a request that came over it). */
  connectionId?: string;
  /** Stream transports: fail instead of opening a new connection (RFC 3261 §18.2.2 first step). */
  noConnect?: boolean;
  /**
   * TLS, WSS: the domain the peer's certificate must match (RFC 5922) and the
   * SNI name when a new connection is opened; default: the IP address.
   */
  servername?: string;
}

export interface SendResult {
  /** The connection used (stream transports). */
  connectionId: string | undefined;
  /** Local endpoint the message left from. */
  local: Endpoint;
}

export interface TransportEvents {
  /** One framed message's bytes arrived. */
  message: [data: Uint8Array, remote: Endpoint, connectionId: string | undefined];
  /** A stream connection opened (inbound or outbound). */
  connection: [connectionId: string, remote: Endpoint];
  /** A stream connection closed; `error` when it failed. */
  disconnect: [connectionId: string, remote: Endpoint, error: Error | undefined];
  /** Non-fatal trouble (a malformed stream, a send failure on a socket). */
  error: [error: Error];
  /** CRLF keep-alive ping received on a stream (the transport answers it). */
  keepalive: [remote: Endpoint, connectionId: string | undefined];
  close: [];
}

/** One transport instance bound to a local address. */
export interface SipTransport extends TypedEmitter<TransportEvents> {
  readonly protocol: TransportProtocol;
  /** TCP, TLS, WS, WSS: no retransmissions above (RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** TLS, WSS: the sips: scheme may use it. */
  readonly secure: boolean;
  /** The bound local endpoint (after listen; port 0 resolved). */
  readonly local: Endpoint;
  /** The host name or address to put in Via sent-by and Contact (defaults to `local.address`). */
  readonly advertisedHost: string;
  readonly closed: boolean;
  send(data: Uint8Array, remote: Endpoint, options?: SendOptions): Promise<SendResult>;
  close(): Promise<void>;
  /**
   * Stream transports: make `remote` reach this open connection too (RFC 5923
   * connection reuse: the peer's listening address becomes an alias of the
   * connection it opened to us). No-op when the connection is gone.
   */
  addAlias?(connectionId: string, remote: Endpoint): void;
}

/** The default port of a protocol (RFC 3261 §19.1.2, RFC 7118). */
export function defaultPort(protocol: TransportProtocol): number {
  switch (protocol) {
    case 'TLS':
      return 5061;
    case 'WS':
      return 80;
    case 'WSS':
      return 443;
    default:
      return 5060;
  }
}
