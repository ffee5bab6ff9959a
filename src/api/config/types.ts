/**
 * The validated switch configuration: what `loadConfig` returns, with every default
 * applied, secrets resolved, numbers that are dial strings as strings, durations in ms and
 * paths absolute. docs/configuration.md is the reference of the YAML file it comes from.
 */
import type {
  AgentConfig as AcdAgentConfig,
  QueueConfig as AcdQueueConfig,
  BuiltInStrategyName,
  BusinessHours,
} from '../../acd/index.js';
import type { ToneName, ToneRegion } from '../../media/audio/index.js';
import type { DialRoute, RouteTarget } from '../../switch/index.js';

export type TransportType = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface TlsFiles {
  /** PEM certificate chain (absolute path). */
  certFile: string;
  /** PEM private key (absolute path). */
  keyFile: string;
  /** PEM CA bundle to verify peers (absolute path). */
  caFile?: string;
  /** Passphrase of the key. */
  passphrase?: string;
}

export interface TransportConfig {
  type: TransportType;
  /** Bind address (IPv4, IPv6 or host name). */
  address: string;
  port: number;
  /** Address advertised in Via/Contact when behind NAT. */
  publicAddress?: string;
  /** udp only: kernel receive buffer to ask for, bytes. */
  receiveBufferSize?: number;
  /** udp only: run the socket on a thread of its own. */
  ioThread?: boolean;
  /** tls and wss only (required there). */
  tls?: TlsFiles;
  /** ws and wss only: HTTP path of the upgrade. */
  path?: string;
  /** ws and wss only: allowed Origin header values; empty allows any. */
  origins?: string[];
}

export interface SipConfig {
  transports: TransportConfig[];
  /** Host part of the users' addresses of record (`sip:1001@domain`). */
  domain: string;
  /** Digest realm (default: the domain). */
  realm: string;
  userAgent: string;
  /** RFC 3261 timer overrides, ms. */
  timers: { t1Ms: number; t2Ms: number; t4Ms: number };
  /** Registrar: accepted Expires range and the value used when a REGISTER names none (s). */
  registration: { minExpires: number; maxExpires: number; defaultExpires: number };
}

export interface JitterConfig {
  mode: 'adaptive' | 'fixed';
  minDelayMs: number;
  maxDelayMs: number;
  /** Fixed mode: the playout delay; adaptive mode: the delay before enough packets were seen. */
  delayMs?: number;
}

export interface MediaConfig {
  /** Media worker threads: a number, or 'auto' (one per core). */
  workers: number | 'auto';
  /** Bind address of the RTP sockets. */
  address: string;
  /** Address written in SDP when behind NAT. */
  publicAddress?: string;
  /** RTP port range, inclusive; min even. */
  rtpPorts: { min: number; max: number };
  /** Codec names in order of preference, as the codec registry spells them. */
  codecs: string[];
  dtmf: 'rfc4733' | 'inband' | 'info';
  ptimeMs: number;
  /** Hang up a call whose RTP stopped this long ago; 0 disables. */
  rtpTimeoutMs: number;
  /** Call-progress tone plan. */
  toneRegion: ToneRegion;
  jitter: JitterConfig;
}

export interface CallerId {
  number: string;
  name?: string;
}

export interface UserConfig {
  extension: string;
  /** Display name. */
  name?: string;
  password: string;
  /** Registered devices (contacts) at once. */
  maxDevices: number;
  voicemail: boolean;
  voicemailPin?: string;
  /** Ring this long before no-answer handling. */
  ringTimeoutMs: number;
  /** Caller id presented on calls out through a trunk. */
  callerId?: CallerId;
  enabled: boolean;
}

export type RouteConfig = DialRoute & {
  strip: number;
  prepend: string;
  from: NonNullable<DialRoute['from']>;
};

/** An inbound number of a trunk and where its calls go. */
export interface DidConfig {
  number: string;
  target: Exclude<RouteTarget, { kind: 'trunk' }>;
}

export interface TrunkConfig {
  name: string;
  /** The provider's registrar (SIP URI); also where calls go unless `proxy` is set. */
  registrar: string;
  proxy?: string;
  transport: 'udp' | 'tcp' | 'tls';
  username?: string;
  /** Digest user when it differs from `username`. */
  authUsername?: string;
  password?: string;
  realm?: string;
  register: boolean;
  /** Registration lifetime asked for (s). */
  expires: number;
  fromDomain?: string;
  callerId?: CallerId;
  dids: DidConfig[];
  maxChannels?: number;
  /** Codec preference for this trunk (default: media.codecs). */
  codecs?: string[];
  enabled: boolean;
}

export type ApplicationConfig =
  /** Answers and sends the caller's audio back (an echo test). `maxDurationMs` 0: until hangup. */
  | { type: 'echo'; name: string; maxDurationMs: number }
  /** Answers and plays a tone or a catalogue prompt; `durationMs` 0 plays until the caller hangs up (tones) or to the end (prompts). */
  | {
      type: 'playback';
      name: string;
      tone?: ToneName;
      prompt?: string;
      region?: ToneRegion;
      durationMs: number;
    }
  /** Rejects the call with a SIP status. */
  | { type: 'hangup'; name: string; status: number; reason?: string };

/** A queue: the ACD's QueueConfig (strategies by name only) plus the switch's fields. */
export interface QueueEntryConfig extends Omit<AcdQueueConfig, 'strategy' | 'hours'> {
  id: string;
  strategy?: BuiltInStrategyName;
  hours?: BusinessHours;
}

/** An agent: the ACD's AgentConfig, tied to a user's extension (the phone that rings). */
export interface AgentEntryConfig extends AcdAgentConfig {
  /** Default: the extension. */
  id: string;
  extension: string;
}

export interface AcdSettings {
  rejectDelayMs?: number;
  maxMissedOffers?: number;
  maxWrapUpMs?: number;
  statsWindowMs?: number;
  tickMs?: number;
}

export interface StorageConfig {
  driver: 'sqlite' | 'memory';
  /** Absolute. */
  dataDir: string;
  /** SQLite file name inside dataDir. */
  file: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SwitchConfig {
  sip: SipConfig;
  media: MediaConfig;
  users: UserConfig[];
  routes: RouteConfig[];
  trunks: TrunkConfig[];
  applications: ApplicationConfig[];
  queues: QueueEntryConfig[];
  agents: AgentEntryConfig[];
  acd: AcdSettings;
  storage: StorageConfig;
  logging: { level: LogLevel };
  /** On SIGTERM: stop taking calls and wait this long for calls in progress. */
  drain: { timeoutMs: number };
  /** A demonstration configuration: the banner prints the users' passwords. */
  demo: boolean;
}
