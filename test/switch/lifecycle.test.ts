/**
 * The switch's life: digest authentication (401 for REGISTER, 407 for INVITE) with
 * failures reported; drain (503 + Retry-After, calls in progress finish); hot reload of
 * users and routes with a call up; close() with calls up and ringing leaves nothing
 * behind; a delayed-offer caller.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage, type SipResponse } from '../../src/sip/index.js';
import type { AuthFailureEvent } from '../../src/switch/index.js';
import { type SwitchNet, settings, switchNet, user } from './helpers.js';

let n: SwitchNet | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

function responses(net: SwitchNet, method: string): number[] {
  return net.sipNet.log
    .map((p) => parseMessage(p.data))
    .filter((m): m is SipResponse => 'status' in m && m.cseq.method === method && m.status >= 200)
    .map((m) => m.status);
}

describe('switch authentication', () => {
  it('challenges REGISTER with 401 and INVITE with 407; wrong passwords fail and are reported', async () => {
    n = await switchNet();
    const failures: AuthFailureEvent[] = [];
    n.sw.on('authFailure', (f) => failures.push(f));
    const bad = await n.phone('10.0.0.21', '1003', { password: 'wrong' });
    expect(await n.sw.registeredExtensions()).toEqual([]);
    expect(bad.registration?.state).not.toBe('registered');
    const good = await n.phone('10.0.0.11', '1001');
    expect(await n.sw.registeredExtensions()).toEqual(['1001']);
    const [err] = await Promise.all([
      bad.ua.invite('sip:1001@10.0.0.1', { offer: bad.media }).catch((e) => e),
      n.run(300),
    ]);
    expect(err.status).toBe(407);
    expect(responses(n, 'REGISTER')).toContain(401);
    expect(responses(n, 'INVITE')).toEqual([407, 407]);
    expect(failures.map((f) => [f.ip, f.user, f.method, f.reason])).toEqual([
      ['10.0.0.21', '1003', 'REGISTER', 'bad password'],
      ['10.0.0.21', '1003', 'INVITE', 'bad password'],
    ]);
    expect(failures[0]).toMatchObject({ port: 5060, transport: 'udp' });
    expect(good.incoming).toHaveLength(0);
    expect(n.sw.calls.size).toBe(0);
  });
});

describe('switch lifecycle', () => {
  it('drain refuses new calls with 503 Retry-After, lets the call up finish, then closes', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    const carol = await n.phone('10.0.0.13', '1003');
    bob.ua.on('INVITE', (s) => s.answer());
    const [session] = await Promise.all([
      alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    const draining = n.sw.drain({ timeoutMs: 60_000 });
    let drained = false;
    void draining.then(() => {
      drained = true;
    });
    const [refused] = await Promise.all([
      carol.ua.invite('sip:1001@10.0.0.1', { offer: carol.media }).catch((e) => e),
      n.run(300),
    ]);
    expect(refused.status).toBe(503);
    expect(refused.response.getHeader('Retry-After')).toBe('30');
    expect(responses(n, 'INVITE').filter((s) => s === 407)).toHaveLength(1); // alice's: none while draining
    await n.run(5000);
    expect(drained).toBe(false);
    expect(session.state).toBe('established');
    await Promise.all([session.bye(), n.run(300)]);
    await n.run(3000);
    expect(drained).toBe(true);
    expect(n.sw.closed).toBe(true);
    expect((await n.sw.storage.cdrs.query().catch((e) => e)).code).toBe('ERR_CLOSED');
  });

  it('drain ends calls still up at the timeout with BYE and writes their CDRs', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.answer());
    const [session] = await Promise.all([
      alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    const ended: string[] = [];
    n.sw.on('ended', (c, info) => ended.push(`${c.callee.number} ${info.disposition} ${info.hangup.by}`));
    const draining = n.sw.drain({ timeoutMs: 1000 });
    await n.run(4000);
    await draining;
    expect(session.state).toBe('terminated');
    expect(session.endedInfo?.reason).toBe('remote-bye');
    expect(ended).toEqual(['1002 answered system']);
  });

  it('hot reload: a new password and a new route apply to new requests; the call up survives', async () => {
    const s0 = settings();
    n = await switchNet({ settings: s0 });
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.answer());
    const [session] = await Promise.all([
      alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    await n.sw.configure({
      ...s0,
      users: s0.users.map((u) => (u.extension === '1003' ? user('1003', { password: 'changed' }) : u)),
      routes: [
        ...s0.routes,
        { match: { kind: 'exact', value: '7777' }, target: { kind: 'application', application: 'echo' } },
      ],
    });
    await n.run(100);
    expect(session.state).toBe('established');
    // the new route works
    const [echo] = await Promise.all([
      alice.ua.invite('sip:7777@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    expect(echo.state).toBe('established');
    await Promise.all([echo.bye(), n.run(200)]);
    // the old password no longer registers, the new one does
    await n.phone('10.0.0.13', '1003');
    expect(await n.sw.registeredExtensions()).toEqual(['1001', '1002']);
    await n.phone('10.0.0.14', '1003', { password: 'changed' });
    expect(await n.sw.registeredExtensions()).toEqual(['1001', '1002', '1003']);
    // removing a user drops its registrations; the call up is not touched
    await n.sw.configure({ ...s0, users: s0.users.filter((u) => u.extension !== '1002') });
    expect(await n.sw.registeredExtensions()).toEqual(['1001', '1003']);
    await alice.send(session, 3, 0, 0x12);
    await n.run(50);
    expect(bob.rtpIn().filter((p) => p.payload[0] === 0x12)).toHaveLength(3);
    // a dial plan that does not compile is refused and changes nothing
    await expect(
      n.sw.configure({
        ...s0,
        routes: [
          { match: { kind: 'pattern', value: '9[' }, target: { kind: 'extension', extension: '1001' } },
        ],
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(n.sw.settings.routes).toHaveLength(5);
  });

  it('close() with a call up and one ringing: BYE, 503, CANCEL, CDRs, nothing left open', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    const carol = await n.phone('10.0.0.13', '1003');
    const dave = await n.phone('10.0.0.14', '1004');
    bob.ua.on('INVITE', (s) => s.answer());
    dave.ua.on('INVITE', (s) => s.ring());
    const [up] = await Promise.all([
      alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    const ringing = carol.ua.invite('sip:1004@10.0.0.1', { offer: carol.media }).catch((e) => e);
    await n.run(300);
    expect(n.sw.calls.size).toBe(2);
    const sw = n.sw;
    const storage = sw.storage;
    const cdrs: string[] = [];
    sw.on('ended', (_c, info) => cdrs.push(`${info.disposition} ${info.hangup.status ?? ''}`.trim()));
    const closing = sw.close();
    await n.run(4000);
    await closing;
    expect(up.endedInfo?.reason).toBe('remote-bye');
    expect((await ringing).status).toBe(503);
    expect(dave.incoming[0]?.endedInfo?.reason).toBe('cancelled');
    expect(cdrs.sort()).toEqual(['answered', 'failed 503']);
    expect(sw.calls.size).toBe(0);
    expect(sw.ua.dialogCount).toBe(0);
    expect(sw.ua.closed).toBe(true);
    expect(n.engine?.endpointCount).toBe(0);
    expect(n.engine?.closed).toBe(true);
    expect(storage.closed).toBe(true);
    await sw.close(); // idempotent
    // the phones' timers aside, the switch left no timer behind
    await Promise.all([alice, bob, carol, dave].map((p) => p.ua.close()).concat(n.run(4000)));
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a caller without an offer gets ours in the 200 and answers in the ACK; media flows', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.answer());
    const [session] = await Promise.all([alice.ua.invite('sip:1002@10.0.0.1'), n.run(300)]);
    expect(session.request.body.length).toBe(0);
    expect(session.negotiated?.streams[0]?.remoteAddress).toBe('10.0.0.1');
    const call = [...n.sw.calls][0]!;
    expect(call.media?.kind).toBe('relay');
    await alice.send(session, 5, 0, 0x77);
    await n.run(50);
    expect(bob.rtpIn().filter((p) => p.payload[0] === 0x77)).toHaveLength(5);
  });
});
