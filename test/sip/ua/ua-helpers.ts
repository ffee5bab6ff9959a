/** Two (or more) user agents on one in-memory network with a fake clock. */
import { FakeClock, flushMicrotasks, seededRandom } from '../../../src/core/index.js';
import type { LocalDescription } from '../../../src/sdp/index.js';
import {
  createUserAgent,
  LoopNetwork,
  type LoopPacket,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type TransportProtocol,
  type UserAgent,
  type UserAgentOptions,
} from '../../../src/sip/index.js';

export const media = (address: string, port = 40000): LocalDescription => ({
  address,
  media: [
    {
      port,
      codecs: [
        { encodingName: 'PCMU', clockRate: 8000 },
        { encodingName: 'PCMA', clockRate: 8000 },
      ],
      telephoneEvent: true,
    },
  ],
});

export interface Net {
  clock: FakeClock;
  net: LoopNetwork;
  ua(
    address: string,
    options?: Partial<UserAgentOptions> & { protocol?: TransportProtocol; port?: number },
  ): UserAgent;
  /** Every SIP message on the wire, parsed, in order. */
  messages(): Array<{ p: LoopPacket; m: SipRequest | SipResponse }>;
  /** Start lines on the wire (`INVITE`, `200 INVITE` …). */
  trace(): string[];
  run(ms: number): Promise<void>;
  settle(): Promise<void>;
  closeAll(): Promise<void>;
}

let seed = 1;

export function makeNet(options: { latencyMs?: number; loss?: number; t1?: number } = {}): Net {
  const clock = new FakeClock();
  const net = new LoopNetwork({
    clock,
    latencyMs: options.latencyMs ?? 5,
    loss: options.loss ?? 0,
    random: seededRandom(99),
  });
  const uas: UserAgent[] = [];
  const parsed = () => net.log.map((p) => ({ p, m: parseMessage(p.data) as SipRequest | SipResponse }));
  return {
    clock,
    net,
    ua(address, o = {}) {
      const { protocol, port, ...rest } = o;
      const transport = net.createTransport({ address, port: port ?? 5060, protocol: protocol ?? 'UDP' });
      const ua = createUserAgent({
        transports: [transport],
        clock,
        random: seededRandom(seed++),
        media: media(address),
        ...(options.t1 === undefined ? {} : { t1: options.t1 }),
        ...rest,
      });
      uas.push(ua);
      return ua;
    },
    messages: parsed,
    trace: () =>
      parsed().map(({ m }) =>
        'method' in m
          ? (m as SipRequest).method
          : `${(m as SipResponse).status} ${(m as SipResponse).cseq.method}`,
      ),
    run: (ms) => clock.advanceAsync(ms),
    settle: () => flushMicrotasks(30),
    async closeAll() {
      const p = Promise.all(uas.map((u) => u.close()));
      for (let i = 0; i < 50; i++) await clock.advanceAsync(100);
      await p;
    },
  };
}
