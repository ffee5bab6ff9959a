/**
 * L3 sip/transport: the transport contract, the real transports (UDP, TCP,
 * TLS, WS/WSS), target resolution (RFC 3263), the transport layer and the
 * in-memory loop network.
 */

export {
  canReach,
  endpointKey,
  formatEndpoint,
  ipFamily,
  isBroadcastAddress,
  normalizeAddress,
  sameAddress,
} from './address.js';
export { LoopNetwork, type LoopNetworkOptions, type LoopPacket, LoopTransport } from './loop.js';
export {
  createStaticResolver,
  orderSrv,
  RESOLVE_TARGET_DEFAULTS,
  type ResolveTargetOptions,
  resolveTarget,
  type SipResolver,
  type SrvRecord,
  type StaticResolverRecords,
  systemResolver,
} from './resolve.js';
export {
  type ConnectionInfo,
  STREAM_TRANSPORT_DEFAULTS,
  StreamTransport,
  type StreamTransportOptions,
} from './stream.js';
export {
  createTcpTransport,
  createTlsTransport,
  loadPem,
  type PemSource,
  TcpTransport,
  type TcpTransportOptions,
  type TlsCredentials,
  TlsTransport,
  type TlsTransportOptions,
} from './tcp.js';
export {
  type SentRequest,
  TRANSPORT_LAYER_DEFAULTS,
  TransportLayer,
  type TransportLayerEvents,
  type TransportLayerOptions,
} from './transport-layer.js';
export {
  defaultPort,
  type Endpoint,
  type InboundInfo,
  type SendOptions,
  type SendResult,
  type SipTransport,
  type Target,
  type TransportEvents,
  type TransportProtocol,
} from './types.js';
export { createUdpTransport, UDP_TRANSPORT_DEFAULTS, UdpTransport, type UdpTransportOptions } from './udp.js';
export { createWsTransport, WS_TRANSPORT_DEFAULTS, WsTransport, type WsTransportOptions } from './ws.js';
