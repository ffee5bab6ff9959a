/**
 * Plain-data types shared by the host side (main thread) and the media
 * workers: what an endpoint is configured with, what it reports, what it
 * plays. Everything here crosses `postMessage`, so it is data only.
 */
import type { JitterBufferOptions } from '../jitter/index.js';

/**
 * One payload format of an endpoint, in the shape of `NegotiatedCodec` from
 * `strowger/sdp` (so `stream.codecs` can be passed as is). The first entry
 * that is not telephone-event / CN / RED / FEC is the one the endpoint sends.
 */
export interface CodecSpec {
  /** SDP encoding name: 'PCMU', 'PCMA', 'G722', 'L16', 'opus', 'telephone-event', … */
  encodingName: string;
  /** RTP clock rate (8000 for G.711, G.722 and usually telephone-event; 48000 for Opus). */
  clockRate: number;
  /** Channels from the rtpmap (Opus: 2; the engine still encodes mono). */
  channels?: number;
  /** Payload type to send with (the one in the peer's description). */
  payloadType: number;
  /** Payload type the peer sends with (the one in our description); default `payloadType`. */
  receivePayloadType?: number;
  /** Format parameters, e.g. Opus `maxaveragebitrate`, telephone-event `0-16`. */
  params?: Readonly<Record<string, string>>;
}

/** Where the peer receives media (from the SDP c=/m= lines). */
export interface RemoteAddress {
  address: string;
  port: number;
  /** RTCP address (a=rtcp), default `address`. */
  rtcpAddress?: string;
  /** RTCP port (a=rtcp), default `port + 1`; ignored with `rtcpMux`. */
  rtcpPort?: number;
  /** RFC 5761: RTCP on the RTP port. */
  rtcpMux?: boolean;
}

/** Which DTMF the endpoint listens for. */
export type DtmfDetectMode = 'auto' | 'rfc4733' | 'inband' | 'off';

/** Opus encoder settings used when the engine encodes Opus for an endpoint. */
export interface EndpointOpusOptions {
  bitrate?: number;
  complexity?: number;
  fec?: boolean;
  packetLossPercent?: number;
  dtx?: boolean;
}

/** Jitter-buffer settings for terminated endpoints (a subset of `JitterBufferOptions`). */
export type EndpointJitterOptions = Pick<
  JitterBufferOptions,
  'mode' | 'delayMs' | 'minDelayMs' | 'maxDelayMs' | 'capacity' | 'quantile' | 'concealLimitMs'
>;

/** The complete configuration the worker runs an endpoint with (defaults resolved on the host). */
export interface EndpointConfig {
  codecs: CodecSpec[];
  remote: RemoteAddress | null;
  /** Packetization of the packets the engine generates (transcoding, tones), ms: 20, 40 or 60. */
  ptime: number;
  /** Symmetric RTP (RFC 4961) / NAT latching: send to where the peer's packets come from. */
  symmetric: boolean;
  /** Consecutive in-sequence packets needed to learn a source that is not the signalled address. */
  learnPackets: number;
  /** Emit `rtpTimeout` after this long without an accepted RTP packet (0: never). */
  rtpTimeoutMs: number;
  /** Emit `stats` at this interval (0: never). */
  statsIntervalMs: number;
  dtmfDetect: DtmfDetectMode;
  /** SDES CNAME of our RTCP. */
  cname: string;
  opus: EndpointOpusOptions;
  jitter: EndpointJitterOptions;
}

/** A transport address. */
export interface SocketAddress {
  address: string;
  port: number;
}

/** Per-endpoint quality and traffic figures (the `stats` event and `endpoint.getStats()`). */
export interface EndpointStats {
  /** Worker clock time of the figures, ms. */
  atMs: number;
  packetsReceived: number;
  octetsReceived: number;
  packetsSent: number;
  octetsSent: number;
  /** RTP packets dropped because they came from another source than the learned one. */
  packetsRejected: number;
  /** Datagrams that were not valid RTP/RTCP. */
  packetsInvalid: number;
  /** RFC 3550 A.3 cumulative packets lost on receive (may be negative with duplicates). */
  packetsLost: number;
  /** Receive loss since the previous stats, in percent. */
  lossPercent: number;
  /** RFC 3550 A.8 interarrival jitter, ms. */
  jitterMs: number;
  /** Round-trip time from the peer's RTCP reports about us, ms (null until known). */
  rttMs: number | null;
  /** What the peer's last RTCP report block says about our stream (null until one came). */
  remote: { lossPercent: number; packetsLost: number; jitterMs: number } | null;
  /** The learned (or signalled) source of the peer's RTP. */
  source: SocketAddress | null;
  /** Jitter-buffer figures when the endpoint's media is terminated (transcoding, detection). */
  jitterBuffer: {
    delayMs: number;
    targetDelayMs: number;
    concealed: number;
    late: number;
    lost: number;
  } | null;
  /** ITU-T G.107 E-model estimate from loss, jitter-buffer delay, RTT and the codec (null before media). */
  quality: { r: number; mos: number } | null;
}

/** What `endpoint.play()` plays. */
export type PlaySource =
  /** A call-progress tone from the tone plans of `strowger/media` (e.g. `{ tone: 'ringback', region: 'us' }`). */
  | { tone: string; region?: string; durationMs?: number }
  /** DTMF digits as in-band tones. */
  | { dtmfTones: string; toneMs?: number; gapMs?: number }
  /** 16-bit mono PCM (e.g. a decoded prompt); resampled to the endpoint's codec in the worker. */
  | { pcm: Int16Array; sampleRate: number }
  /** A WAV file read by the worker (8/16/48 kHz … 16-bit PCM, G.711). */
  | { file: string };

/**
 * One entry of a playlist: a play source, a prompt of the catalogue by name
 * (what the `say*` helpers of `strowger/media` return, e.g. `'please-hold'`,
 * resolved to `<promptDirectory>/<lang>/<name>.wav`), or a pause.
 */
export type PlayItem = PlaySource | string | { prompt: string; lang?: string } | { silenceMs: number };

/** What `play()` takes: one source, or a playlist played back to back without gaps. */
export type PlayInput = PlaySource | readonly PlayItem[];

export interface PlayOptions {
  /** Stop as soon as a DTMF digit begins on the leg (on any member, for a bridge); default false. */
  bargeIn?: boolean;
  /** Start again from the first item at the end, until stopped (music on hold); default false. */
  loop?: boolean;
}

/** Why a play ended. */
export type PlayEndReason = 'completed' | 'stopped' | 'replaced' | 'barge-in' | 'closed';

/** What `play()` resolves with. */
export interface PlayResult {
  /** True when it played to its end. */
  completed: boolean;
  reason: PlayEndReason;
  /** The digit that interrupted it (`reason: 'barge-in'`). */
  digit?: string;
  /** Audio played, ms (pauses and underruns of a streamed file not counted). */
  playedMs: number;
}

/** Why a recording ended. */
export type RecordingEndReason =
  | 'stopped'
  | 'max-duration'
  | 'silence'
  | 'closed'
  | 'error'
  | 'worker-died'
  | 'engine-closed';

/** The options every recording takes. */
export interface RecordingOptions {
  /** Final file name; the audio is written to `<path>.part` and renamed when the recording ends. */
  path: string;
  /** End the recording after this much recorded audio, ms (default: no limit). */
  maxDurationMs?: number;
  /** End the recording after `durationMs` of audio below `thresholdDbfs` (voicemail). */
  silence?: { thresholdDbfs: number; durationMs: number };
  /** What a pause does: 'skip' (default: nothing is written, as for card numbers) or 'silence' (zeros keep the timeline). */
  pauseMode?: 'skip' | 'silence';
  /** PCM rate of the file (default: the bridge rate, or the highest codec rate of the legs). */
  sampleRate?: number;
  /** Start paused (e.g. until the caller has been told). Default false. */
  paused?: boolean;
}

/** What a recording resolves with when it ends. */
export interface RecordingResult {
  /** The file: `path` when it was completed, `<path>.part` when it could not be (worker died, write error). */
  path: string;
  reason: RecordingEndReason;
  /** Audio in the file, ms. */
  durationMs: number;
  sampleRate: number;
  channels: number;
  /** Bytes of samples written. */
  dataBytes: number;
  /** Time spent paused, ms. */
  pausedMs: number;
  /** Frames the recorder had to drop because the disk fell behind (should be 0). */
  droppedFrames: number;
  /** The write error (`reason: 'error'`). */
  error?: string;
}

/** How `endpoint.sendDtmf()` sends. */
export interface DtmfSendOptions {
  /** Tone duration per digit (default 100 ms). */
  durationMs?: number;
  /** Pause between digits (default 60 ms). */
  gapMs?: number;
  /** 'auto' (default): RFC 4733 when negotiated, else in-band tones. */
  mode?: 'auto' | 'rfc4733' | 'inband';
}

/** Why an endpoint or session ended. */
export type EndReason = 'closed' | 'worker-died' | 'engine-closed' | 'endpoint-closed';

/** Figures of one worker (the `engine.workerStats()` entries). */
export interface WorkerStats {
  index: number;
  threadId: number;
  endpoints: number;
  sessions: number;
  /** Terminated paths (transcoding directions, players) processed on the tick. */
  tickLoad: number;
  ticks: number;
  /** Ticks that started more than one period after their due time. */
  lateTicks: number;
  /** Ticks dropped after a stall (more than `maxCatchUpTicks` behind). */
  skippedTicks: number;
  /** Largest lag of a tick behind its schedule, ms. */
  maxLagMs: number;
  /** Ticks by lag behind schedule in whole ms (index 255: 255 ms or more). */
  lagHistogram: number[];
  /** Mean CPU time of a tick, µs. */
  meanTickUs: number;
  /** Packets relayed without termination. */
  relayedPackets: number;
  /** Conference bridges (or halves of one) in this worker. */
  bridges: number;
  /** Members of those bridges (endpoints, links to other workers not counted). */
  bridgeMembers: number;
  /** Recordings running. */
  recordings: number;
}
