/** A two-host loop network with a transaction layer or a bare transport layer on each side. */
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import {
  createRequest,
  type InboundInfo,
  LoopNetwork,
  type LoopPacket,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type Target,
  TransactionLayer,
  type TransactionLayerOptions,
  TransportLayer,
  type TransportProtocol,
} from '../../../src/sip/index.js';

export const A = { address: '10.0.0.1', port: 5060 };
export const B = { address: '10.0.0.2', port: 5060 };

export interface Net {
  clock: FakeClock;
  net: LoopNetwork;
  protocol: TransportProtocol;
  /** Transport layer of host A and of host B. */
  ta: TransportLayer;
  tb: TransportLayer;
  /** Target for requests from A to B. */
  toB: Target;
  toA: Target;
}

export function network(protocol: TransportProtocol = 'UDP', latencyMs = 0): Net {
  const clock = new FakeClock();
  const net = new LoopNetwork({ clock, latencyMs, random: seededRandom(7) });
  const ta = new TransportLayer({ transports: [net.createTransport({ ...A, protocol })], clock });
  const tb = new TransportLayer({ transports: [net.createTransport({ ...B, protocol })], clock });
  return { clock, net, protocol, ta, tb, toB: { ...B, protocol }, toA: { ...A, protocol } };
}

export function layer(
  transport: TransportLayer,
  clock: FakeClock,
  options: Partial<TransactionLayerOptions> = {},
  seed = 1,
): TransactionLayer {
  return new TransactionLayer({ transport, clock, random: seededRandom(seed), ...options });
}

let seq = 0;

/** A request from A to B with no Via (the transaction layer adds it). */
export function request(
  method: string,
  options: { callId?: string; cseq?: number; toTag?: string } = {},
): SipRequest {
  seq++;
  return createRequest({
    method,
    uri: 'sip:bob@10.0.0.2',
    from: `<sip:alice@10.0.0.1>;tag=from${seq}`,
    to: options.toTag === undefined ? '<sip:bob@10.0.0.2>' : `<sip:bob@10.0.0.2>;tag=${options.toTag}`,
    callId: options.callId ?? `call${seq}@10.0.0.1`,
    cseq: options.cseq ?? 1,
    contact: '<sip:alice@10.0.0.1>',
  });
}

/** A request with a fixed Via (for driving a server transaction from a bare transport layer). */
export function rawRequest(
  method: string,
  branch: string | undefined,
  extra: Partial<{ callId: string; cseq: number; fromTag: string; toTag: string; uri: string }> = {},
): SipRequest {
  return createRequest({
    method,
    uri: extra.uri ?? 'sip:bob@10.0.0.2',
    from: `<sip:alice@10.0.0.1>;tag=${extra.fromTag ?? 'f1'}`,
    to: extra.toTag === undefined ? '<sip:bob@10.0.0.2>' : `<sip:bob@10.0.0.2>;tag=${extra.toTag}`,
    callId: extra.callId ?? 'c1@10.0.0.1',
    cseq: extra.cseq ?? 1,
    via: [branch === undefined ? 'SIP/2.0/UDP 10.0.0.1:5060' : `SIP/2.0/UDP 10.0.0.1:5060;branch=${branch}`],
  });
}

/** Messages handed to the network, parsed, with the time they were sent. */
export interface Sent {
  at: number;
  from: string;
  msg: SipRequest | SipResponse;
  packet: LoopPacket;
}

export function sent(net: LoopNetwork, from?: { address: string }): Sent[] {
  return net.log
    .filter((p) => from === undefined || p.from.address === from.address)
    .map((p) => ({ at: p.at, from: p.from.address, msg: parseMessage(p.data), packet: p }));
}

export function requestsSent(net: LoopNetwork, method: string, from?: { address: string }): Sent[] {
  return sent(net, from).filter((s) => s.msg.isRequest && (s.msg as SipRequest).method === method);
}

export function responsesSent(net: LoopNetwork, from?: { address: string }, status?: number): Sent[] {
  return sent(net, from).filter(
    (s) => !s.msg.isRequest && (status === undefined || (s.msg as SipResponse).status === status),
  );
}

/** Collects what a bare transport layer receives. */
export function inbox(t: TransportLayer): {
  requests: Array<[SipRequest, InboundInfo]>;
  responses: SipResponse[];
} {
  const box = { requests: [] as Array<[SipRequest, InboundInfo]>, responses: [] as SipResponse[] };
  t.on('request', (r, i) => box.requests.push([r, i]));
  t.on('response', (r) => box.responses.push(r));
  return box;
}

/** Advances time in small enough steps that loop deliveries (microtasks) settle at every timer. */
export async function run(clock: FakeClock, ms: number): Promise<void> {
  await clock.advanceAsync(ms);
}
