/**
 * Random interleavings of requests, responses, retransmissions, losses,
 * latency and CANCELs between two transaction layers on the loop network.
 * Whatever happens, after the last timer:
 *   - no transaction is alive and no timer is pending (both layers' indexes are empty);
 *   - every transaction emitted `terminated` exactly once, and every client
 *     transaction settled its outcome;
 *   - the TU never saw the same request twice;
 *   - no transaction sent anything after it terminated;
 *   - a TU that never answers is bounded (64·T1, inviteServerTimeout), and
 *     its late answers are ignored, never thrown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClockTimer, isStrowgerError } from '../../../src/core/index.js';
import {
  type ClientInviteTransaction,
  type ClientNonInviteTransaction,
  createRequest,
  parseMessage,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/index.js';
import { layer, network, run } from './helpers.js';

interface Spec {
  method: 'INVITE' | 'OPTIONS' | 'BYE';
  startAt: number;
  /** INVITE: when the TU sends 180 (ms after it saw the request), if at all. */
  provisionalAt: number | null;
  /** When the TU sends the final response (ms after it saw the request); null: never. */
  finalAt: number | null;
  status: number;
  /** When the client TU cancels (ms after start), if at all. */
  cancelAt: number | null;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  method: fc.constantFrom('INVITE', 'INVITE', 'OPTIONS', 'BYE'),
  startAt: fc.integer({ min: 0, max: 5000 }),
  provisionalAt: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: null }),
  finalAt: fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: null, freq: 6 }),
  status: fc.constantFrom(200, 200, 202, 404, 486, 503),
  cancelAt: fc.option(fc.integer({ min: 0, max: 6000 }), { nil: null }),
});

const scenario = fc.record({
  protocol: fc.constantFrom('UDP', 'UDP', 'UDP', 'TCP') as fc.Arbitrary<'UDP' | 'TCP'>,
  latency: fc.integer({ min: 0, max: 400 }),
  t1: fc.constantFrom(100, 500),
  tryingDelay: fc.constantFrom(0, 200, Number.POSITIVE_INFINITY),
  inviteServerTimeout: fc.constantFrom(20_000, 300_000),
  /** Per UDP packet, in order: drop it? (then no more loss) */
  drops: fc.array(fc.constantFrom(false, false, false, true), { maxLength: 80 }),
  specs: fc.array(spec, { minLength: 1, maxLength: 6 }),
});

type Client = ClientInviteTransaction | ClientNonInviteTransaction;

const txKey = (branch: string | undefined, method: string) =>
  `${branch}|${method === 'ACK' ? 'INVITE' : method}`;

describe('transaction layer invariants under random interleavings', () => {
  it('nothing survives its final timers, no duplicate reaches the TU, nothing is sent after termination', async () => {
    // what the runs exercised, so the property cannot pass vacuously
    const seen = {
      drops: 0,
      requestRetransmissions: 0,
      responseRetransmissions2xx: 0,
      cancels: 0,
      terminated487: 0,
      timeouts: 0,
      non2xxAcks: 0,
      tcpRuns: 0,
      expired: 0,
      lateResponses: 0,
    };
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { clock, net, ta, tb, toB } = network(s.protocol, s.latency);
        const uac = layer(ta, clock, { t1: s.t1 }, 11);
        const uas = layer(
          tb,
          clock,
          { t1: s.t1, tryingDelay: s.tryingDelay, inviteServerTimeout: s.inviteServerTimeout },
          12,
        );
        uas.on('expired', () => seen.expired++);
        uas.on('lateResponse', () => seen.lateResponses++);
        const violations: string[] = [];

        // loss: unreliable packets only
        let packet = 0;
        net.onPacket((p) => {
          if (p.protocol !== 'UDP') return true;
          const drop = s.drops[packet++] === true;
          if (drop) seen.drops++;
          return !drop;
        });

        // every client and server transaction by branch + method
        const clients = new Map<string, Client>();
        const servers = new Map<string, ServerTransaction>();
        const terminations = new Map<object, number>();
        const countTermination = (tx: object) => terminations.set(tx, (terminations.get(tx) ?? 0) + 1);

        // "nothing sent after termination": check at the moment a transaction hands a message to the transport
        const sendRequest = ta.sendRequest.bind(ta);
        ta.sendRequest = (req: SipRequest, target) => {
          const key = txKey(req.topVia?.branch, req.method);
          let tx: Client | undefined;
          if (req.method === 'CANCEL') {
            const invite = clients.get(txKey(req.topVia?.branch, 'INVITE'));
            const cancel = invite?.isInvite ? invite.cancelTransaction : undefined;
            if (cancel?.terminated)
              violations.push(`CANCEL sent by a terminated transaction at ${clock.now()}`);
          } else tx = clients.get(key);
          if (tx?.terminated)
            violations.push(`${req.method} sent by a terminated client transaction at ${clock.now()}`);
          return sendRequest(req, target);
        };
        const sendResponse = tb.sendResponse.bind(tb);
        tb.sendResponse = (res: SipResponse, inbound) => {
          const tx = servers.get(txKey(res.topVia?.branch, res.cseq.method));
          if (tx?.terminated)
            violations.push(`${res.status} sent by a terminated server transaction at ${clock.now()}`);
          return sendResponse(res, inbound);
        };
        // a completed transaction sends its final response (and retransmits it) as bytes
        const sendSerialized = tb.sendSerializedResponse.bind(tb);
        tb.sendSerializedResponse = (bytes, via, inbound) => {
          const res = parseMessage(bytes) as SipResponse;
          const tx = servers.get(txKey(res.topVia?.branch, res.cseq.method));
          if (tx?.terminated)
            violations.push(`${res.status} sent by a terminated server transaction at ${clock.now()}`);
          return sendSerialized(bytes, via, inbound);
        };

        // server TU: answers each request per its spec; counts deliveries
        const byCallId = new Map<string, Spec>();
        const delivered = new Map<string, number>();
        const tuTimers: ClockTimer[] = [];
        uas.on('request', (tx) => {
          const key = txKey(tx.request.topVia?.branch, tx.method);
          delivered.set(key, (delivered.get(key) ?? 0) + 1);
          servers.set(key, tx);
          tx.on('terminated', () => countTermination(tx));
          const sp = byCallId.get(tx.request.callId);
          if (sp === undefined) {
            violations.push(`unknown request ${tx.request.callId}`);
            return;
          }
          const respond = (status: number) => {
            if (tx.expired) {
              // too late: the layer gave up on us; the call must be ignored, not thrown
              if (tx.respond(status) !== undefined) violations.push('a late response was sent');
              return;
            }
            if (tx.terminated || tx.finalStatus !== undefined) return; // cancelled (487 sent) or already final
            tx.respond(status);
          };
          if (sp.provisionalAt !== null && tx.isInvite)
            tuTimers.push(clock.setTimeout(() => respond(180), sp.provisionalAt));
          const finalAt = sp.finalAt;
          if (finalAt !== null)
            tuTimers.push(
              clock.setTimeout(() => respond(tx.isInvite || sp.status < 300 ? sp.status : 481), finalAt),
            );
        });

        // client TU: starts each transaction, ACKs every 2xx (as a dialog layer does), cancels when told to and
        // when an INVITE is still unanswered after 60 s
        const outcomes: Array<Promise<string>> = [];
        s.specs.forEach((sp, i) => {
          const callId = `prop${i}`;
          byCallId.set(callId, sp);
          clock.setTimeout(() => {
            const req = createRequest({
              method: sp.method,
              uri: 'sip:bob@10.0.0.2',
              from: `<sip:alice@10.0.0.1>;tag=a${i}`,
              to: sp.method === 'BYE' ? '<sip:bob@10.0.0.2>;tag=b' : '<sip:bob@10.0.0.2>',
              callId,
              cseq: 1,
            });
            const tx = uac.sendRequest(req, toB);
            clients.set(txKey(tx.branch, tx.method), tx);
            tx.on('terminated', () => countTermination(tx));
            outcomes.push(
              tx.finalResponse.then(
                (r) => `final ${r.status}`,
                (e) => (isStrowgerError(e) ? e.code : 'other'),
              ),
            );
            if (tx.isInvite) {
              tx.on('final', (r) => {
                if (r.status < 300) void uac.sendStateless(ackFor(req, r), toB).catch(() => {});
              });
              if (sp.cancelAt !== null) clock.setTimeout(() => void tx.cancel(), sp.cancelAt);
              clock.setTimeout(() => {
                if (tx.state === 'calling' || tx.state === 'proceeding') void tx.cancel();
              }, 60_000);
            }
          }, sp.startAt);
        });

        await run(clock, 400_000);

        expect(violations).toEqual([]);
        for (const [key, n] of delivered) if (n !== 1) violations.push(`${key} delivered ${n} times`);
        for (const [tx, n] of terminations)
          if (n !== 1) violations.push(`terminated ${n} times: ${String(tx)}`);
        expect(violations).toEqual([]);
        expect(clients.size).toBe(s.specs.length);
        for (const tx of [...clients.values(), ...servers.values()]) expect(tx.terminated).toBe(true);
        const settled = await Promise.all(outcomes);
        for (const o of settled) expect(o === 'ERR_TX_TIMEOUT' || o.startsWith('final ')).toBe(true);
        const empty = { clients: 0, servers: 0, merge: 0, byBranch: 0, ack2543: 0, accepted: 0 };
        expect(uac._indexSizes()).toEqual(empty);
        expect(uas._indexSizes()).toEqual(empty);
        for (const t of tuTimers) t.cancel();
        expect(clock.pendingTimers).toBe(0);
        tally(seen, net.log, settled, s.protocol);
      }),
      { numRuns: 150 },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });
});

function tally(
  seen: Record<string, number>,
  log: ReadonlyArray<{ data: Uint8Array }>,
  outcomes: string[],
  protocol: string,
): void {
  const counts = new Map<string, number>();
  for (const p of log) {
    const m = parseMessage(p.data);
    const key = m.isRequest
      ? `${(m as SipRequest).method} ${m.topVia?.branch}`
      : `${(m as SipResponse).status} ${m.cseq.method} ${m.topVia?.branch}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const inviteBranches = new Set<string>();
  for (const [key, n] of counts) {
    const [what, second, third] = key.split(' ');
    if (what === 'INVITE') inviteBranches.add(second as string);
    if ((what === 'INVITE' || what === 'OPTIONS' || what === 'BYE') && n > 1)
      seen.requestRetransmissions! += 1;
    if (what === 'CANCEL') seen.cancels! += 1;
    if (what?.startsWith('2') && second === 'INVITE' && n > 1) seen.responseRetransmissions2xx! += 1;
    if (what === '487' && third !== undefined) seen.terminated487! += 1;
  }
  for (const key of counts.keys()) {
    const [what, branch] = key.split(' ');
    if (what === 'ACK' && inviteBranches.has(branch as string)) seen.non2xxAcks! += 1;
  }
  seen.timeouts! += outcomes.filter((o) => o === 'ERR_TX_TIMEOUT').length;
  if (protocol === 'TCP') seen.tcpRuns! += 1;
}

function ackFor(invite: SipRequest, ok: SipResponse): SipRequest {
  return createRequest({
    method: 'ACK',
    uri: invite.uri,
    from: invite.getHeader('from') as string,
    to: ok.getHeader('to') as string,
    callId: invite.callId,
    cseq: invite.cseq.seq,
  });
}
