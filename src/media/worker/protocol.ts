/**
 * The host ↔ worker control protocol. Commands are requests with a numeric
 * id; the worker answers each with exactly one response carrying the same id
 * (a result, or an error serialized by core's `serializeError`). Events flow
 * from the worker unprompted. Everything is plain data (structured clone).
 * No RTP byte ever crosses this boundary.
 */
import type { SerializedError } from '../../core/index.js';
import type {
  DtmfSendOptions,
  EndpointConfig,
  EndpointStats,
  PlaySource,
  SocketAddress,
  WorkerStats,
} from './types.js';

export type Command =
  | {
      type: 'createEndpoint';
      endpoint: number;
      bindAddress: string;
      rtpPort: number;
      rtcpPort: number;
      config: EndpointConfig;
    }
  | { type: 'updateEndpoint'; endpoint: number; config: EndpointConfig }
  | { type: 'closeEndpoint'; endpoint: number }
  /** `echo`: `a` and `b` are the same endpoint, whose packets are relayed back to their sender. */
  | { type: 'connect'; session: number; kind: 'relay' | 'transcode' | 'echo'; a: number; b: number }
  | { type: 'disconnect'; session: number }
  | { type: 'sendDtmf'; endpoint: number; digits: string; options: DtmfSendOptions }
  | { type: 'play'; endpoint: number; source: PlaySource }
  | { type: 'stopPlay'; endpoint: number }
  | { type: 'getStats'; endpoint: number }
  | { type: 'workerStats' }
  /** Closes every endpoint (RTCP BYE, sockets) and stops the tick; the thread then exits. */
  | { type: 'shutdown' }
  /** Test hook: the worker throws an uncaught exception (it dies). */
  | { type: 'crash' };

export type CommandType = Command['type'];

/** What each command resolves with. */
export interface CommandResults {
  createEndpoint: { ssrc: number };
  updateEndpoint: null;
  closeEndpoint: null;
  connect: null;
  disconnect: null;
  sendDtmf: { sent: number; mode: 'rfc4733' | 'inband' };
  play: { completed: boolean };
  stopPlay: null;
  getStats: EndpointStats;
  workerStats: Omit<WorkerStats, 'index'>;
  shutdown: null;
  crash: null;
}

export interface RequestMessage {
  id: number;
  command: Command;
}

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: SerializedError };

/** Events a worker emits about an endpoint. */
export type WorkerEvent =
  | {
      kind: 'event';
      type: 'dtmf';
      endpoint: number;
      digit: string;
      durationMs: number;
      source: 'rfc4733' | 'inband';
    }
  | { kind: 'event'; type: 'rtpTimeout'; endpoint: number; silentMs: number }
  | { kind: 'event'; type: 'sourceLearned'; endpoint: number; source: SocketAddress; rtcp: boolean }
  | { kind: 'event'; type: 'stats'; endpoint: number; stats: EndpointStats }
  | { kind: 'event'; type: 'ready' };

export type WorkerMessage = ResponseMessage | WorkerEvent;

/** What the engine passes to each worker at start (workerData). */
export interface WorkerBootData {
  index: number;
  tickMs: number;
  maxCatchUpTicks: number;
}
