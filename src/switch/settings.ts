/**
 * What the switch core runs from: the signalling and media preferences, the users, the dial
 * plan, the trunks and the applications. These are the switch's own types; the validated
 * YAML configuration of `src/api/config` (`SwitchConfig`) has every field they name, so a
 * loaded configuration can be passed as it is (and again, whole, on a hot reload).
 */
import type { ToneName, ToneRegion } from '../media/audio/index.js';
import type { DialRoute, RouteTarget } from './dialplan/index.js';

/** A number (and display name) presented as the caller. */
export interface CallerIdentity {
  number: string;
  name?: string;
}

/** A local user: an extension with digest credentials and registered devices. */
export interface SwitchUser {
  /** Digits; also the SIP user name and the digest user name. */
  extension: string;
  /** Display name (From of the calls it makes, CDRs). */
  name?: string;
  /** Digest password. */
  password: string;
  /** Devices (contacts) registered at once; the least recently refreshed make room. */
  maxDevices: number;
  /** Ring this long, then the caller gets the no-answer status. */
  ringTimeoutMs: number;
  /** Caller id presented on calls out through a trunk. */
  callerId?: CallerIdentity;
  /** A disabled user can neither register nor be called. */
  enabled: boolean;
}

/** An inbound number of a trunk and where its calls go. */
export interface SwitchDid {
  number: string;
  target: Exclude<RouteTarget, { kind: 'trunk' }>;
}

/** A SIP provider: outbound registration, calls out through it, DIDs in. */
export interface SwitchTrunk {
  name: string;
  /** The provider's registrar (SIP URI); calls go there too unless `proxy` is set. */
  registrar: string;
  /** Where calls (and REGISTERs) are sent. Calls from this host (and port, when the URI names one) are the trunk's. */
  proxy?: string;
  transport: 'udp' | 'tcp' | 'tls';
  username?: string;
  authUsername?: string;
  password?: string;
  /** The digest realm to answer; without it only a realm equal to the provider's host is answered. */
  realm?: string;
  register: boolean;
  /** Registration lifetime asked for (s). */
  expires: number;
  /** Host of the From header on calls out (default the registrar's host). */
  fromDomain?: string;
  callerId?: CallerIdentity;
  dids: readonly SwitchDid[];
  /** Simultaneous calls through the trunk (in and out); more get 503. */
  maxChannels?: number;
  /** Codec preference on this trunk (default the media codecs). */
  codecs?: readonly string[];
  enabled: boolean;
}

/** The built-in applications a route or DID can name. */
export type SwitchApplication =
  /** Answers and sends the caller's audio back; `maxDurationMs` 0: until the caller hangs up. */
  | { type: 'echo'; name: string; maxDurationMs: number }
  /** Answers and plays a tone or a catalogue prompt; `durationMs` 0: tones until hangup, prompts to the end. */
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

export interface SwitchSipSettings {
  /** Host part of the users' addresses of record and of the From of calls to them. */
  domain: string;
  /** Digest realm. */
  realm: string;
  /** User-Agent / Server header. */
  userAgent: string;
  /** RFC 3261 timers (ms). */
  timers?: { t1Ms: number; t2Ms: number; t4Ms: number };
  /** Registrar: accepted Expires range and the default (s). */
  registration: { minExpires: number; maxExpires: number; defaultExpires: number };
}

export interface SwitchMediaSettings {
  /** Codec names in order of preference (`PCMU`, `PCMA`, `G722`, `opus`, `L16`). */
  codecs: readonly string[];
  /** Packetization we ask for (ms). */
  ptimeMs: number;
  /** Hang up a call whose RTP stopped this long ago (not while on hold); 0 never. */
  rtpTimeoutMs: number;
  /** Tone plan of `playback` applications without a region. */
  toneRegion: ToneRegion;
  jitter?: { mode: 'adaptive' | 'fixed'; minDelayMs: number; maxDelayMs: number; delayMs?: number };
}

/** Everything the switch core reads from a configuration. */
export interface SwitchSettings {
  sip: SwitchSipSettings;
  media: SwitchMediaSettings;
  users: readonly SwitchUser[];
  routes: readonly DialRoute[];
  trunks: readonly SwitchTrunk[];
  applications: readonly SwitchApplication[];
}

/** What `Switch.configure()` applies to a running switch without dropping calls. */
export type SwitchReloadable = Pick<SwitchSettings, 'users' | 'routes' | 'trunks' | 'applications'> &
  Partial<Pick<SwitchSettings, 'media'>>;
