/**
 * L3 media/worker: the media engine. On the main thread, `createMediaEngine()`
 * and its typed proxies (MediaEngine, MediaEndpoint, MediaSession); in the
 * worker threads, the runtime that owns the RTP/RTCP sockets, relays and
 * transcodes on a 20 ms tick. See docs/media-engine.md.
 */

export { type DtmfEvent, type LocalAddress, MediaEndpoint, type MediaEndpointEvents } from './endpoint.js';
export {
  type CreateEndpointOptions,
  createMediaEngine,
  MEDIA_ENGINE_DEFAULTS,
  MediaEngine,
  type MediaEngineEvents,
  type MediaEngineOptions,
} from './engine.js';
export { endpointOptionsFromStream } from './from-sdp.js';
export { InProcessWorker, type InProcessWorkerOptions, inProcessWorkers } from './in-process.js';
export {
  type MemoryDatagram,
  MemoryNetwork,
  type MemoryNetworkOptions,
  MemoryPeer,
  type ReceivedDatagram,
} from './memory-network.js';
export { ENDPOINT_DEFAULTS, type EndpointOptions } from './options.js';
export type { PortRange } from './port-allocator.js';
export type { Command, CommandResults, WorkerBootData, WorkerEvent, WorkerMessage } from './protocol.js';
export { RtpOutput, type RtpOutputOptions } from './rtp-output.js';
export { MediaWorkerRuntime, type MediaWorkerRuntimeOptions } from './runtime.js';
export { MediaSession, type MediaSessionEvents, type MediaSessionKind } from './session.js';
export { type DatagramHandler, type MediaSocket, type MediaSocketFactory, udpSockets } from './sockets.js';
export { LATCH_ACCEPT, LATCH_LEARNED, LATCH_REJECT, type LatchResult, SourceLatch } from './source-latch.js';
export { TickScheduler, type TickSchedulerOptions } from './tick-scheduler.js';
export type {
  CodecSpec,
  DtmfDetectMode,
  DtmfSendOptions,
  EndpointConfig,
  EndpointJitterOptions,
  EndpointOpusOptions,
  EndpointStats,
  EndReason,
  PlaySource,
  RemoteAddress,
  SocketAddress,
  WorkerStats,
} from './types.js';
export {
  defaultWorkerScript,
  type MediaWorkerHandle,
  type MediaWorkerSpawner,
  workerSpawner,
} from './worker-script.js';
