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
  PlayInput,
  PlayOptions,
  PlayResult,
  RecordingOptions,
  RecordingResult,
  SocketAddress,
  WorkerStats,
} from './types.js';
import type { BridgeMemberSettings, BridgeMixerOptions } from './worker-bridge.js';

/** What a recording records. */
export type RecordTarget =
  /** One leg: what its peer sends (`in`), or both directions — mixed (mono) or one per channel (`stereo`: left in, right out). */
  | { kind: 'endpoint'; endpoint: number; direction: 'in' | 'both'; stereo: boolean }
  /** A call: what each leg's peer sends, left = leg a, right = leg b (or mixed when not stereo). */
  | { kind: 'session'; session: number; stereo: boolean }
  /** A bridge: the common mix (mono), or the listed members' voices per channel. */
  | { kind: 'bridge'; bridge: number; left?: number[]; right?: number[] };

/** Figures of one bridge half. */
export interface BridgeStats {
  members: number;
  ticks: number;
  limitedSamples: number;
  links: Array<{ id: number; buffered: number; underruns: number; dropped: number }>;
}

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
  | { type: 'play'; endpoint: number; source: PlayInput; options?: PlayOptions }
  | { type: 'playControl'; endpoint: number; action: 'stop' | 'pause' | 'resume' }
  | {
      type: 'createBridge';
      bridge: number;
      sampleRate: 8000 | 16000 | 48000;
      /** The half that plays and records (the others only mix their members and the link). */
      home: boolean;
      mixer: BridgeMixerOptions;
    }
  | { type: 'closeBridge'; bridge: number }
  | {
      type: 'bridgeLink';
      bridge: number;
      link: number;
      ringIn: SharedArrayBuffer;
      ringOut: SharedArrayBuffer;
      prefillFrames: number;
    }
  | { type: 'bridgeUnlink'; bridge: number; link: number }
  | { type: 'bridgeAdd'; bridge: number; endpoint: number; settings: BridgeMemberSettings }
  | { type: 'bridgeUpdate'; bridge: number; endpoint: number; settings: BridgeMemberSettings }
  | { type: 'bridgeRemove'; bridge: number; endpoint: number }
  | { type: 'bridgePlay'; bridge: number; source: PlayInput; options?: PlayOptions }
  | { type: 'bridgePlayControl'; bridge: number; action: 'stop' | 'pause' | 'resume'; digit?: string }
  | { type: 'bridgeStats'; bridge: number }
  | { type: 'record'; recording: number; target: RecordTarget; options: RecordingOptions }
  | { type: 'recordControl'; recording: number; action: 'pause' | 'resume' | 'stop' }
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
  play: PlayResult;
  playControl: null;
  createBridge: null;
  closeBridge: null;
  bridgeLink: null;
  bridgeUnlink: null;
  bridgeAdd: null;
  bridgeUpdate: null;
  bridgeRemove: null;
  bridgePlay: PlayResult;
  bridgePlayControl: null;
  bridgeStats: BridgeStats;
  record: { path: string; partPath: string; sampleRate: number; channels: number };
  recordControl: RecordingResult | null;
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
  /** A play on an endpoint started (its first frame goes out at the next tick). */
  | { kind: 'event'; type: 'playing'; endpoint: number }
  /** A play on a bridge started. */
  | { kind: 'event'; type: 'bridgePlaying'; bridge: number }
  /** A bridge member started (`talking`) or stopped talking; `atMs` in bridge time. */
  | { kind: 'event'; type: 'talk'; bridge: number; endpoint: number; talking: boolean; atMs: number }
  /** A recording ended (stopped, limit reached, owner gone, write error). */
  | { kind: 'event'; type: 'recordingEnded'; recording: number; result: RecordingResult }
  | { kind: 'event'; type: 'ready' };

export type WorkerMessage = ResponseMessage | WorkerEvent;

/** What the engine passes to each worker at start (workerData). */
export interface WorkerBootData {
  index: number;
  tickMs: number;
  maxCatchUpTicks: number;
  /** Directory with `<lang>/<prompt>.wav` (assets/prompts of the package). */
  promptDirectory?: string;
}
