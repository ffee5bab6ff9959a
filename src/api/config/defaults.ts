import { VERSION } from '../version.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Every default of the switch configuration, in one frozen object (docs/configuration.md
 * lists them beside each field). Queue and agent fields left out of a file fall to the
 * ACD's own defaults (`QUEUE_DEFAULTS`, `ACD_DEFAULTS` in strowger/acd).
 */
export const CONFIG_DEFAULTS = deepFreeze({
  sip: {
    /** Bind address of a transport that names none. */
    address: '0.0.0.0',
    /** Port of a transport that names none, by type. */
    ports: { udp: 5060, tcp: 5060, tls: 5061, ws: 5066, wss: 7443 },
    /** The transports when the file lists none. */
    transports: [{ type: 'udp' as const }],
    /**
     * Kernel receive buffer asked for each UDP socket, bytes: a burst that arrives while the
     * event loop is busy (a garbage collection) waits there instead of being dropped. Linux
     * caps it at net.core.rmem_max; the switch warns when it got less.
     */
    udpReceiveBufferSize: 4 << 20,
    /**
     * Each UDP socket on a thread of its own: the system calls and the per-datagram
     * callbacks leave the SIP thread (docs/configuration.md).
     */
    udpIoThread: true,
    /** HTTP path of WebSocket transports. */
    wsPath: '/',
    /** Domain when none is given and every transport binds a wildcard address. */
    domain: 'localhost',
    userAgent: `Strowger/${VERSION}`,
    timers: { t1Ms: 500, t2Ms: 4_000, t4Ms: 5_000 },
    registration: { minExpires: 60, maxExpires: 3_600, defaultExpires: 600 },
  },
  media: {
    /** 'auto': one worker per CPU core. */
    workers: 'auto' as const,
    address: '0.0.0.0',
    rtpPorts: { min: 10_000, max: 20_000 },
    codecs: ['PCMU', 'PCMA', 'G722', 'opus'],
    dtmf: 'rfc4733' as const,
    ptimeMs: 20 as const,
    rtpTimeoutMs: 30_000,
    toneRegion: 'us' as const,
    jitter: { mode: 'adaptive' as const, minDelayMs: 0, maxDelayMs: 1_000 },
  },
  user: { maxDevices: 3, voicemail: false, ringTimeoutMs: 30_000, enabled: true },
  route: { strip: 0, prepend: '', from: 'users' as const },
  trunk: { transport: 'udp' as const, register: true, expires: 3_600, enabled: true },
  application: { playbackDurationMs: 0, hangupStatus: 603, echoMaxDurationMs: 0 },
  storage: { driver: 'sqlite' as const, dataDir: './.strowger/data', file: 'strowger.db' },
  logging: { level: 'info' as const },
  drain: { timeoutMs: 30_000 },
  demo: false,
});
