/** L3 sip/transport: the transport contract, the transport layer and the in-memory loop network. */

export { LoopNetwork, type LoopNetworkOptions, type LoopPacket, LoopTransport } from './loop.js';
export {
  type SentRequest,
  type Target,
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
  type TransportEvents,
  type TransportProtocol,
} from './types.js';
