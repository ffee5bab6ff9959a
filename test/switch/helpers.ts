/**
 * A whole switch on in-memory networks and one fake clock: SIP over a LoopNetwork, RTP
 * over a MemoryNetwork with the media engine's in-process worker, CDRs in memory. Phones
 * are UserAgents on the loop network with digest credentials and an RTP socket each.
 */
import { FakeClock, flushMicrotasks, seededRandom } from '../../src/core/index.js';
import {
  createMediaEngine,
  inProcessWorkers,
  type MediaEngine,
  MemoryNetwork,
  type MemoryPeer,
} from '../../src/media/worker/index.js';
import { RtpPacket, RtpReader } from '../../src/rtp/index.js';
import type { LocalDescription } from '../../src/sdp/index.js';
import {
  createUserAgent,
  type InviteSession,
  LoopNetwork,
  type RegistrationClient,
  type UserAgent,
  type UserAgentOptions,
} from '../../src/sip/index.js';
import {
  createMemoryStorage,
  createSwitchCore,
  type Switch,
  type SwitchCoreOptions,
  type SwitchSettings,
  type SwitchUser,
} from '../../src/switch/index.js';

export const SWITCH_IP = '10.0.0.1';

const debugLogger = {
  debug: (o: object, m?: string) => console.log('DEBUG', m, JSON.stringify(o)),
  info: (o: object, m?: string) => console.log('INFO', m, JSON.stringify(o)),
  warn: (o: object, m?: string) => console.log('WARN', m, JSON.stringify(o)),
  error: (o: object, m?: string) => console.log('ERROR', m, JSON.stringify(o)),
};

export function user(extension: string, extra: Partial<SwitchUser> = {}): SwitchUser {
  return {
    extension,
    password: `pw${extension}`,
    maxDevices: 3,
    ringTimeoutMs: 20_000,
    enabled: true,
    ...extra,
  };
}

export function settings(extra: Partial<SwitchSettings> = {}): SwitchSettings {
  return {
    sip: {
      domain: SWITCH_IP,
      realm: SWITCH_IP,
      userAgent: 'strowger-test',
      registration: { minExpires: 60, maxExpires: 3600, defaultExpires: 600 },
    },
    media: { codecs: ['PCMU', 'PCMA', 'G722'], ptimeMs: 20, rtpTimeoutMs: 0, toneRegion: 'us' },
    users: [user('1001', { name: 'Alice' }), user('1002', { name: 'Bob' }), user('1003'), user('1004')],
    routes: [
      {
        name: 'echo',
        match: { kind: 'exact', value: '9196' },
        target: { kind: 'application', application: 'echo' },
      },
      { match: { kind: 'exact', value: '9197' }, target: { kind: 'application', application: 'tone' } },
      { match: { kind: 'exact', value: '9198' }, target: { kind: 'application', application: 'decline' } },
      { match: { kind: 'exact', value: '9000' }, target: { kind: 'queue', queue: 'demo' } },
      { match: { kind: 'pattern', value: '*7X' }, target: { kind: 'extension', extension: '1002' } },
    ],
    trunks: [],
    applications: [
      { type: 'echo', name: 'echo', maxDurationMs: 0 },
      { type: 'playback', name: 'tone', tone: 'dial', durationMs: 2000 },
      { type: 'hangup', name: 'decline', status: 603, reason: 'Decline' },
    ],
    ...extra,
  };
}

export interface Phone {
  ua: UserAgent;
  extension: string;
  address: string;
  rtp: MemoryPeer;
  media: LocalDescription;
  registration?: RegistrationClient;
  /** Incoming calls (when `autoAnswer` or not). */
  incoming: InviteSession[];
  /** RTP packets received (RTCP left out). */
  rtpIn(): Array<{ ssrc: number; seq: number; pt: number; payload: Uint8Array }>;
  /** Sends `n` 20 ms PCMU/PCMA packets to where `session` says, one per 20 ms of clock. */
  send(session: InviteSession, n: number, pt?: number, fill?: number): Promise<void>;
}

export interface SwitchNet {
  clock: FakeClock;
  sipNet: LoopNetwork;
  mediaNet: MemoryNetwork;
  engine: MediaEngine | undefined;
  sw: Switch;
  phone(
    address: string,
    extension: string,
    options?: { password?: string; codecs?: string[]; register?: boolean; ua?: Partial<UserAgentOptions> },
  ): Promise<Phone>;
  run(ms: number): Promise<void>;
  close(): Promise<void>;
}

const CODEC: Record<string, { encodingName: string; clockRate: number }> = {
  PCMU: { encodingName: 'PCMU', clockRate: 8000 },
  PCMA: { encodingName: 'PCMA', clockRate: 8000 },
  G722: { encodingName: 'G722', clockRate: 8000 },
};

let seed = 100;

export async function switchNet(
  options: { settings?: SwitchSettings; signallingOnly?: boolean; core?: Partial<SwitchCoreOptions> } = {},
): Promise<SwitchNet> {
  const clock = new FakeClock({ start: 1000 });
  const sipNet = new LoopNetwork({ clock, latencyMs: 5, random: seededRandom(7) });
  const mediaNet = new MemoryNetwork({ clock });
  const engine = options.signallingOnly
    ? undefined
    : await createMediaEngine({
        workers: 1,
        spawn: inProcessWorkers({ clock, sockets: mediaNet }),
        bindAddress: SWITCH_IP,
        portRange: { min: 20000, max: 20999 },
        endpointDefaults: { statsIntervalMs: 0 },
      });
  const transport = sipNet.createTransport({ address: SWITCH_IP, port: 5060 });
  const sw = await createSwitchCore({
    settings: options.settings ?? settings(),
    transports: [transport],
    ...(engine ? { engine } : {}),
    storage: await createMemoryStorage(),
    ...(process.env.SWITCH_DEBUG ? { logger: debugLogger } : {}),
    clock,
    random: seededRandom(seed++),
    secret: 'a test secret of at least 16 bytes',
    ...options.core,
  });
  const phones: Phone[] = [];
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 5) {
      await clock.advanceAsync(Math.min(5, ms - t));
      await flushMicrotasks(20);
    }
  };
  return {
    clock,
    sipNet,
    mediaNet,
    engine,
    sw,
    run,
    async phone(address, extension, o = {}) {
      const rtp = mediaNet.open(address, 30000);
      const media: LocalDescription = {
        address,
        media: [
          {
            port: rtp.port,
            codecs: (o.codecs ?? ['PCMU', 'PCMA']).map(
              (c) => CODEC[c] as { encodingName: string; clockRate: number },
            ),
            telephoneEvent: true,
          },
        ],
      };
      const ua = createUserAgent({
        transports: [sipNet.createTransport({ address, port: 5060 })],
        clock,
        random: seededRandom(seed++),
        user: extension,
        domain: SWITCH_IP,
        media,
        credentials: { username: extension, password: o.password ?? `pw${extension}` },
        ...o.ua,
      });
      const incoming: InviteSession[] = [];
      ua.on('INVITE', (s) => {
        incoming.push(s);
      });
      const phone: Phone = {
        ua,
        extension,
        address,
        rtp,
        media,
        incoming,
        rtpIn: () =>
          rtp.received
            .filter(
              (d) => d.data.length >= 12 && !((d.data[1] as number) >= 192 && (d.data[1] as number) <= 223),
            )
            .map((d) => {
              const r = RtpReader.parse(d.data);
              return { ssrc: r.ssrc, seq: r.sequenceNumber, pt: r.payloadType, payload: r.payload.slice() };
            }),
        async send(session, n, pt = 0, fill = 0x55) {
          const s = session.negotiated?.streams[0];
          if (!s) throw new Error('no negotiated stream');
          for (let i = 0; i < n; i++) {
            const pkt = new RtpPacket({
              payloadType: pt,
              sequenceNumber: 100 + i,
              timestamp: 1000 + 160 * i,
              ssrc: 0xabc000 + Number(extension),
              payload: new Uint8Array(160).fill(fill),
            }).serialize();
            rtp.send(pkt, s.remotePort, s.remoteAddress);
            await run(20);
          }
        },
      };
      if (o.register !== false) {
        phone.registration = ua.register({
          aor: `sip:${extension}@${SWITCH_IP}`,
          registrar: `sip:${SWITCH_IP}`,
          expires: 600,
        });
        await run(100);
      }
      phones.push(phone);
      return phone;
    },
    async close() {
      const closing = Promise.all([sw.close(), ...phones.map((p) => p.ua.close())]);
      await run(4000);
      await closing;
      for (const p of phones) p.rtp.close();
    },
  };
}
