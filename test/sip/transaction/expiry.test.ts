/**
 * The bound on the TU: a server transaction whose TU never sends a final
 * response ends anyway (non-INVITE: 64·T1, nothing sent; INVITE:
 * inviteServerTimeout since the request or the last provisional, 408), tells
 * the TU (`expired`), ignores a late respond() (layer event `lateResponse`),
 * and leaves nothing behind. All on FakeClock.
 */
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import {
  type ServerInviteTransaction,
  type ServerNonInviteTransaction,
  type SipRequest,
  type SipResponse,
  TRANSACTION_DEFAULTS,
} from '../../../src/sip/index.js';
import { B, inbox, layer, network, rawRequest, responsesSent, run } from './helpers.js';

type Tx = ServerInviteTransaction | ServerNonInviteTransaction;

/** Host A is a bare transport layer (we craft its requests); host B runs a transaction layer whose TU records and never answers. */
function abandoned(protocol: 'UDP' | 'TCP' = 'UDP', options: Parameters<typeof layer>[2] = {}) {
  const n = network(protocol);
  const uas = layer(n.tb, n.clock, options);
  const txs: Tx[] = [];
  const log: string[] = [];
  uas.on('request', (tx) => {
    txs.push(tx);
    tx.on('expired', () => log.push(`expired ${tx.method} ${tx.state} at ${n.clock.now()}`));
    tx.on('terminated', () => log.push(`terminated ${tx.method} at ${n.clock.now()}`));
  });
  const expired: Tx[] = [];
  const late: Array<[Tx, number]> = [];
  uas.on('expired', (tx) => expired.push(tx));
  uas.on('lateResponse', (tx, status) => late.push([tx, status]));
  const client = inbox(n.ta);
  const send = (req: SipRequest) => n.ta.sendRequest(req, n.toB);
  const empty = () => Object.values(uas._indexSizes()).every((size) => size === 0);
  return { ...n, uas, txs, log, expired, late, client, send, empty };
}

const F = 64 * TRANSACTION_DEFAULTS.t1;
const statuses = (rs: SipResponse[]) => rs.map((r) => r.status);

describe('a non-INVITE server transaction whose TU never answers', () => {
  for (const protocol of ['UDP', 'TCP'] as const) {
    it(`ends 64·T1 after the request over ${protocol}, sends nothing, and tells the TU first`, async () => {
      const { clock, net, uas, txs, log, expired, send, empty } = abandoned(protocol);
      const options = rawRequest('OPTIONS', 'z9hG4bKnit1');
      await send(options);
      await run(clock, F - 1);
      expect(txs).toHaveLength(1);
      const tx = txs[0] as Tx;
      expect(tx.state).toBe('trying');
      expect(uas.serverCount).toBe(1);
      await run(clock, 1);
      expect(log).toEqual([`expired OPTIONS trying at ${F}`, `terminated OPTIONS at ${F}`]);
      expect(expired).toEqual([tx]);
      expect(tx.expired).toBe(true);
      expect(tx.terminated).toBe(true);
      expect(tx.finalStatus).toBeUndefined();
      // RFC 4320 §4.2: no 408 to a non-INVITE request — nothing at all
      expect(responsesSent(net, B)).toEqual([]);
      expect(uas.serverCount).toBe(0);
      expect(empty()).toBe(true);
      expect(clock.pendingTimers).toBe(0);
    });
  }

  it('is not kept alive by its provisional responses or by retransmissions of the request', async () => {
    const { clock, uas, txs, client, send, empty } = abandoned();
    const req = rawRequest('REGISTER', 'z9hG4bKnit2');
    await send(req);
    await run(clock, 1000);
    txs[0]?.respond(100);
    for (let t = 0; t < 30; t++) {
      await send(req); // the client's retransmissions: answered with the 100
      await run(clock, 1000);
    }
    expect(txs).toHaveLength(1);
    expect(txs[0]?.state).toBe('proceeding');
    await run(clock, F - 31_000);
    expect(txs[0]?.expired).toBe(true);
    expect(uas.serverCount).toBe(0);
    expect(empty()).toBe(true);
    expect(statuses(client.responses).every((s) => s === 100)).toBe(true);
  });

  it('ignores a late respond(): no throw, nothing sent, reported as lateResponse', async () => {
    const { clock, net, txs, late, send } = abandoned();
    await send(rawRequest('MESSAGE', 'z9hG4bKnit3'));
    await run(clock, F);
    const tx = txs[0] as Tx;
    expect(tx.expired).toBe(true);
    let result: SipResponse | undefined | 'threw' = 'threw';
    expect(() => {
      result = tx.respond(200);
    }).not.toThrow();
    expect(result).toBeUndefined();
    expect(() => tx.respond(500, { reason: 'Too Slow' })).not.toThrow();
    await run(clock, 100);
    expect(responsesSent(net, B)).toEqual([]);
    expect(late).toEqual([
      [tx, 200],
      [tx, 500],
    ]);
  });

  it('makes no timer at all when the TU answers at once', async () => {
    const n = network();
    const uas = layer(n.tb, n.clock);
    uas.on('request', (tx) => tx.respond(200));
    await n.ta.sendRequest(rawRequest('OPTIONS', 'z9hG4bKnit4'), n.toB);
    await flushMicrotasks();
    // Timer J only: no bound was armed for a TU that answered inside the request event
    expect(n.clock.pendingTimers).toBe(1);
    await run(n.clock, F);
    expect(uas.serverCount).toBe(0);
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('lets the TU answer up to the last moment', async () => {
    const { clock, net, txs, expired, send } = abandoned();
    await send(rawRequest('OPTIONS', 'z9hG4bKnit5'));
    await run(clock, F - 1);
    txs[0]?.respond(200);
    await run(clock, 2 * F);
    expect(expired).toEqual([]);
    expect(statuses(responsesSent(net, B).map((s) => s.msg as SipResponse))).toEqual([200]);
  });

  it('still throws for genuine misuse: a second final response, a respond after Timer J', async () => {
    const { clock, txs, send } = abandoned();
    await send(rawRequest('OPTIONS', 'z9hG4bKnit6'));
    await flushMicrotasks();
    const tx = txs[0] as Tx;
    tx.respond(200);
    expect(() => tx.respond(200)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await run(clock, F);
    expect(tx.terminated).toBe(true);
    expect(tx.expired).toBe(false);
    expect(() => tx.respond(200)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('leaves every index empty after many abandoned requests', async () => {
    const { clock, uas, txs, expired, send, empty } = abandoned();
    for (let i = 0; i < 50; i++) {
      await send(rawRequest(i % 2 ? 'OPTIONS' : 'SUBSCRIBE', `z9hG4bKmany${i}`, { callId: `c${i}` }));
      await run(clock, 100);
    }
    expect(uas.serverCount).toBe(50);
    await run(clock, F);
    expect(expired).toHaveLength(50);
    expect(txs.every((tx) => tx.terminated)).toBe(true);
    expect(uas.serverCount).toBe(0);
    expect(empty()).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('an INVITE server transaction whose TU never answers', () => {
  const LIMIT = TRANSACTION_DEFAULTS.inviteServerTimeout;

  it('answers 408 inviteServerTimeout after the request, after telling the TU, and ends cleanly with the ACK', async () => {
    const { clock, uas, txs, log, expired, client, send, empty } = abandoned();
    const invite = rawRequest('INVITE', 'z9hG4bKinvx1');
    await send(invite);
    let readable = '';
    await flushMicrotasks();
    const tx = txs[0] as Tx;
    tx.on('expired', () => {
      readable = tx.request.method; // still readable in the listener
    });
    await run(clock, LIMIT - 1);
    expect(tx.state).toBe('proceeding');
    expect(statuses(client.responses)).toEqual([100]);
    await run(clock, 1);
    expect(log).toEqual([`expired INVITE proceeding at ${LIMIT}`]);
    expect(expired).toEqual([tx]);
    expect(readable).toBe('INVITE');
    expect(tx.state).toBe('completed');
    expect(tx.finalStatus).toBe(408);
    await flushMicrotasks();
    const final = client.responses[1] as SipResponse;
    expect(final.status).toBe(408);
    expect(final.toTag).toBe(tx.localTag);
    await send(rawRequest('ACK', 'z9hG4bKinvx1', { toTag: final.toTag as string }));
    await run(clock, TRANSACTION_DEFAULTS.t4);
    expect(tx.terminated).toBe(true);
    expect(uas.serverCount).toBe(0);
    expect(empty()).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts from the TU’s last provisional response: a ringing call that keeps signalling lives on', async () => {
    const { clock, txs, client, send, expired } = abandoned();
    await send(rawRequest('INVITE', 'z9hG4bKinvx2'));
    await run(clock, 10);
    const tx = txs[0] as Tx;
    tx.respond(180);
    await run(clock, LIMIT - 20_000);
    tx.respond(183); // at LIMIT - 19 990 ms
    const last = clock.now();
    await run(clock, LIMIT - 1);
    expect(expired).toEqual([]);
    expect(tx.state).toBe('proceeding');
    await run(clock, 1);
    expect(expired).toEqual([tx]);
    expect(clock.now() - last).toBe(LIMIT);
    await flushMicrotasks();
    expect(statuses(client.responses)).toEqual([180, 183, 408]);
    expect(new Set(client.responses.map((r) => r.toTag)).size).toBe(1);
  });

  it('ignores a late answer or rejection, and a CANCEL finds nothing left to cancel', async () => {
    const { clock, txs, late, client, send } = abandoned();
    const invite = rawRequest('INVITE', 'z9hG4bKinvx3');
    await send(invite);
    await run(clock, LIMIT);
    const tx = txs[0] as Tx;
    expect(tx.expired).toBe(true);
    expect(tx.respond(200)).toBeUndefined();
    expect(tx.respond(486)).toBeUndefined();
    expect(late).toEqual([
      [tx, 200],
      [tx, 486],
    ]);
    await send(rawRequest('CANCEL', 'z9hG4bKinvx3'));
    await run(clock, 10);
    // the CANCEL gets its 200; the INVITE keeps its 408 (no 487, no 200)
    expect(statuses(client.responses)).toEqual([100, 408, 200]);
  });

  it('follows the layer option, and Infinity turns the bound off', async () => {
    const short = abandoned('UDP', { inviteServerTimeout: 10_000 });
    await short.send(rawRequest('INVITE', 'z9hG4bKinvx4'));
    await run(short.clock, 10_000);
    expect(short.expired).toHaveLength(1);

    const never = abandoned('TCP', { inviteServerTimeout: Number.POSITIVE_INFINITY });
    await never.send(rawRequest('INVITE', 'z9hG4bKinvx5'));
    await run(never.clock, 24 * 3600_000);
    expect(never.expired).toEqual([]);
    expect(never.txs[0]?.state).toBe('proceeding');
    expect(never.clock.pendingTimers).toBe(0); // the 100 Trying went out; nothing else waits
    never.uas.close();
  });

  it('rejects a bound that is not a positive number of ms a timer can hold', () => {
    const n = network();
    for (const bad of [0, -1, Number.NaN, 2 ** 31, Number.NEGATIVE_INFINITY])
      expect(() => layer(n.tb, n.clock, { inviteServerTimeout: bad })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
  });

  it('closes cleanly while a bound is pending', async () => {
    const { clock, uas, send, expired, empty } = abandoned();
    await send(rawRequest('INVITE', 'z9hG4bKinvx6'));
    await send(rawRequest('OPTIONS', 'z9hG4bKnitx6'));
    await run(clock, 1000);
    uas.close();
    expect(clock.pendingTimers).toBe(0);
    expect(empty()).toBe(true);
    await run(clock, LIMIT);
    expect(expired).toEqual([]);
  });
});
