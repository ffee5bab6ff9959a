/**
 * L3 media/worker: the media engine. On the main thread, `createMediaEngine()`
 * and its typed proxies (MediaEngine, MediaEndpoint, MediaSession,
 * MediaBridge, MediaRecording); in the worker threads, the runtime that owns
 * the RTP/RTCP sockets, relays, transcodes, mixes conferences, plays and
 * records on a 20 ms tick. See docs/media-engine.md and docs/mixer.md.
 */

export {
  BRIDGE_DEFAULTS,
  type BridgeMemberOptions,
  type BridgeRecordingOptions,
  type CreateBridgeOptions,
  MediaBridge,
  type MediaBridgeEvents,
} from './bridge.js';
export {
  type DtmfEvent,
  type EndpointRecordingOptions,
  type LocalAddress,
  MediaEndpoint,
  type MediaEndpointEvents,
} from './endpoint.js';
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
export { defaultPromptDirectory } from './prompt-directory.js';
export type {
  BridgeStats,
  Command,
  CommandResults,
  RecordTarget,
  WorkerBootData,
  WorkerEvent,
  WorkerMessage,
} from './protocol.js';
export { MediaRecording, type MediaRecordingEvents } from './recording.js';
export { RtpOutput, type RtpOutputOptions } from './rtp-output.js';
export { MediaWorkerRuntime, type MediaWorkerRuntimeOptions } from './runtime.js';
export {
  MediaSession,
  type MediaSessionEvents,
  type MediaSessionKind,
  type SessionRecordingOptions,
} from './session.js';
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
  PlayEndReason,
  PlayInput,
  PlayItem,
  PlayOptions,
  PlayResult,
  PlaySource,
  RecordingEndReason,
  RecordingOptions,
  RecordingResult,
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
