/**
 * Host-side options of endpoints and of the engine, their defaults (one
 * frozen object each) and the checks that turn bad options into
 * `ERR_INVALID_ARGUMENT` before anything reaches a worker.
 */
import { isIP } from 'node:net';
import { StrowgerError } from '../../core/index.js';
import { validateCodecs } from './media-format.js';
import type {
  CodecSpec,
  DtmfDetectMode,
  EndpointConfig,
  EndpointJitterOptions,
  EndpointOpusOptions,
  RemoteAddress,
} from './types.js';

/** What an endpoint can be created or updated with. Every field is optional. */
export interface EndpointOptions {
  /** Payload formats, e.g. `stream.codecs` of a `NegotiatedStream`; the first audio one is sent. */
  codecs?: readonly CodecSpec[];
  /** Where the peer receives (from its SDP); `null` until known. */
  remote?: RemoteAddress | null;
  /** Packetization of generated packets, ms (20, 40 or 60; default 20). */
  ptime?: number;
  /** Symmetric RTP / latching: send where the peer's packets come from (default true). */
  symmetric?: boolean;
  /** In-sequence packets before a source other than the signalled one is learned (default 3). */
  learnPackets?: number;
  /** `rtpTimeout` after this much silence, ms (default 30000; 0: never). */
  rtpTimeoutMs?: number;
  /** `stats` events at this interval, ms (default: the engine's, 5000; 0: never). */
  statsIntervalMs?: number;
  /** DTMF to listen for (default 'auto': RFC 4733 when negotiated, else in-band). */
  dtmfDetect?: DtmfDetectMode;
  /** RTCP SDES CNAME (default: a random one per endpoint, RFC 7022). */
  cname?: string;
  /** Opus encoder settings when the engine encodes Opus for this leg. */
  opus?: EndpointOpusOptions;
  /** Jitter buffer settings when the engine terminates this leg's media. */
  jitter?: EndpointJitterOptions;
}

export const ENDPOINT_DEFAULTS = Object.freeze({
  codecs: Object.freeze([]) as readonly CodecSpec[],
  remote: null,
  ptime: 20,
  symmetric: true,
  learnPackets: 3,
  rtpTimeoutMs: 30_000,
  statsIntervalMs: 5000,
  dtmfDetect: 'auto' as DtmfDetectMode,
  opus: Object.freeze({}) as EndpointOpusOptions,
  jitter: Object.freeze({}) as EndpointJitterOptions,
});

const DTMF_MODES: readonly string[] = ['auto', 'rfc4733', 'inband', 'off'];

function bad(message: string): StrowgerError {
  return new StrowgerError('ERR_INVALID_ARGUMENT', message);
}

function checkRemote(r: RemoteAddress | null): RemoteAddress | null {
  if (r === null) return null;
  if (typeof r !== 'object') throw bad('remote must be { address, port } or null');
  const portOk = (p: unknown) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 65535;
  if (typeof r.address !== 'string' || isIP(r.address) === 0) {
    throw bad(`remote.address must be an IP address, got ${JSON.stringify(r.address)}`);
  }
  if (!portOk(r.port)) throw bad(`remote.port must be 0..65535, got ${String(r.port)}`);
  if (r.rtcpPort !== undefined && !portOk(r.rtcpPort)) throw bad('remote.rtcpPort must be 0..65535');
  if (r.rtcpAddress !== undefined && (typeof r.rtcpAddress !== 'string' || isIP(r.rtcpAddress) === 0)) {
    throw bad('remote.rtcpAddress must be an IP address');
  }
  const out: RemoteAddress = { address: r.address, port: r.port };
  if (r.rtcpAddress !== undefined) out.rtcpAddress = r.rtcpAddress;
  if (r.rtcpPort !== undefined) out.rtcpPort = r.rtcpPort;
  if (r.rtcpMux !== undefined) out.rtcpMux = Boolean(r.rtcpMux);
  return out;
}

/**
 * The full configuration of an endpoint: `options` over `base` (the
 * endpoint's current configuration on update, the defaults on creation).
 */
export function resolveEndpointConfig(options: EndpointOptions, base: EndpointConfig): EndpointConfig {
  if (options === null || typeof options !== 'object') throw bad('endpoint options must be an object');
  const codecs = options.codecs === undefined ? base.codecs : [...options.codecs];
  validateCodecs(codecs);
  const c: EndpointConfig = {
    codecs: codecs.map((x) => ({ ...x })),
    remote: options.remote === undefined ? base.remote : checkRemote(options.remote),
    ptime: options.ptime ?? base.ptime,
    symmetric: options.symmetric ?? base.symmetric,
    learnPackets: options.learnPackets ?? base.learnPackets,
    rtpTimeoutMs: options.rtpTimeoutMs ?? base.rtpTimeoutMs,
    statsIntervalMs: options.statsIntervalMs ?? base.statsIntervalMs,
    dtmfDetect: options.dtmfDetect ?? base.dtmfDetect,
    cname: options.cname ?? base.cname,
    opus: { ...base.opus, ...(options.opus ?? {}) },
    jitter: { ...base.jitter, ...(options.jitter ?? {}) },
  };
  if (![20, 40, 60].includes(c.ptime)) throw bad(`ptime must be 20, 40 or 60, got ${String(c.ptime)}`);
  if (typeof c.symmetric !== 'boolean') throw bad('symmetric must be a boolean');
  if (!(Number.isInteger(c.learnPackets) && c.learnPackets >= 1 && c.learnPackets <= 100)) {
    throw bad('learnPackets must be an integer 1..100');
  }
  if (!(Number.isFinite(c.rtpTimeoutMs) && c.rtpTimeoutMs >= 0)) throw bad('rtpTimeoutMs must be >= 0');
  if (!(Number.isFinite(c.statsIntervalMs) && c.statsIntervalMs >= 0))
    throw bad('statsIntervalMs must be >= 0');
  if (!DTMF_MODES.includes(c.dtmfDetect)) throw bad(`dtmfDetect must be one of ${DTMF_MODES.join(', ')}`);
  if (typeof c.cname !== 'string' || c.cname.length === 0 || c.cname.length > 255) {
    throw bad('cname must be a string of 1..255 characters');
  }
  return c;
}
