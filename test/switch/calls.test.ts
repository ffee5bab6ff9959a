/**
 * Calls through the switch core, end to end on in-memory networks with a fake clock:
 * registered phones (UserAgents with digest credentials), the B2BUA, anchored media in
 * the engine's in-process worker, CDRs in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SipResponseError } from '../../src/sip/index.js';
import { type SwitchNet, switchNet } from './helpers.js';

let n: SwitchNet | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

describe('switch: calls between registered phones', () => {
  it('1001 calls 1002: ringing, answer, media relayed both ways in one worker, BYE, one CDR', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    expect(await n.sw.registeredExtensions()).toEqual(['1001', '1002']);
    const call = alice.ua.call('sip:1002@10.0.0.1', { offer: alice.media });
    const events: string[] = [];
    call.on('ringing', () => events.push('ringing'));
    await n.run(100);
    expect(bob.incoming).toHaveLength(1);
    const atBob = bob.incoming[0]!;
    atBob.ring();
    await n.run(50);
    expect(events).toEqual(['ringing']);
    atBob.answer();
    await n.run(200);
    const session = await call.established;
    const swCall = [...n.sw.calls][0]!;
    expect(swCall.state).toBe('answered');
    expect(swCall.media?.kind).toBe('relay');
    // the SDP each phone got names the switch, not the other phone
    expect(session.negotiated?.streams[0]?.remoteAddress).toBe('10.0.0.1');
    expect(atBob.negotiated?.streams[0]?.remoteAddress).toBe('10.0.0.1');
    await alice.send(session, 10, 0, 0x11);
    await bob.send(atBob, 10, 0, 0x22);
    await n.run(50);
    expect(bob.rtpIn().filter((p) => p.payload[0] === 0x11)).toHaveLength(10);
    expect(alice.rtpIn().filter((p) => p.payload[0] === 0x22)).toHaveLength(10);
    const ended = swCall.ended;
    await Promise.all([session.bye(), n.run(200)]);
    const info = await ended;
    expect(info.disposition).toBe('answered');
    expect(info.hangup.by).toBe('caller');
    expect(atBob.state).toBe('terminated');
    const cdrs = await n.sw.storage.cdrs.query();
    expect(cdrs.items).toHaveLength(1);
    expect(cdrs.items[0]).toMatchObject({
      caller: { number: '1001', name: 'Alice' },
      callee: { number: '1002', name: 'Bob' },
      direction: 'internal',
      disposition: 'answered',
      extensions: ['1001', '1002'],
    });
    expect(cdrs.items[0]?.legs).toHaveLength(2);
    expect(n.sw.calls.size).toBe(0);
    expect(n.engine?.endpointCount).toBe(0);
  });
});

describe('switch: forking and failures', () => {
  it('rings every registered device of 1002; the first answer wins and the other is cancelled', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const desk = await n.phone('10.0.0.12', '1002');
    const mobile = await n.phone('10.0.0.13', '1002');
    expect(await n.sw.contacts('1002')).toHaveLength(2);
    const call = alice.ua.call('sip:1002@10.0.0.1', { offer: alice.media });
    await n.run(100);
    expect([desk.incoming.length, mobile.incoming.length]).toEqual([1, 1]);
    const cancelled: string[] = [];
    desk.incoming[0]?.on('cancelled', () => cancelled.push('desk'));
    mobile.incoming[0]?.on('cancelled', () => cancelled.push('mobile'));
    desk.incoming[0]?.ring();
    mobile.incoming[0]?.ring();
    await n.run(50);
    mobile.incoming[0]?.answer();
    await n.run(200);
    await call.established;
    expect(cancelled).toEqual(['desk']);
    expect(desk.incoming[0]?.state).toBe('terminated');
    const swCall = [...n.sw.calls][0]!;
    const state = (ip: string) => swCall.legs.find((l) => l.uri.includes(ip))?.state;
    expect(swCall.legs.map((l) => l.role)).toEqual(['caller', 'callee', 'callee']);
    expect([swCall.callerLeg.state, state('10.0.0.12'), state('10.0.0.13')]).toEqual([
      'established',
      'terminated',
      'established',
    ]);
    expect(swCall.calleeLeg?.uri).toContain('10.0.0.13');
    // only the winner keeps an endpoint: caller + mobile
    expect(n.engine?.endpointCount).toBe(2);
    const ended = swCall.ended;
    await Promise.all([mobile.incoming[0]?.bye(), n.run(200)]);
    expect((await ended).hangup.by).toBe('callee');
    expect(call.state).toBe('terminated');
  });

  it('maps the outcomes: busy 486, unknown 404, offline 480, no answer 480 at the ring timeout, decline app 603', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.reject(486));
    const attempt = async (uri: string, ms = 300) => {
      const [err] = await Promise.all([
        alice.ua.invite(uri, { offer: alice.media }).then(
          () => undefined,
          (e: SipResponseError) => e,
        ),
        n?.run(ms),
      ]);
      return err?.status;
    };
    expect(await attempt('sip:1002@10.0.0.1')).toBe(486);
    expect(await attempt('sip:5555@10.0.0.1')).toBe(404);
    expect(await attempt('sip:1003@10.0.0.1')).toBe(480); // not registered
    expect(await attempt('sip:9198@10.0.0.1')).toBe(603);
    expect(await attempt('sip:9000@10.0.0.1')).toBe(480); // queues come later
    // no answer: 1004 registers and never answers; the ring timeout is 20 s
    const carol = await n.phone('10.0.0.14', '1004');
    expect(await attempt('sip:1004@10.0.0.1', 21_000)).toBe(480);
    expect(carol.incoming[0]?.state).toBe('terminated');
    expect(n.sw.calls.size).toBe(0);
    const cdrs = (await n.sw.storage.cdrs.query({ order: 'asc' })).items;
    expect(cdrs.map((c) => [c.callee.number, c.disposition, c.hangup.status])).toEqual([
      ['1002', 'busy', 486],
      ['5555', 'failed', 404],
      ['1003', 'failed', 480],
      ['9198', 'failed', 603],
      ['9000', 'failed', 480],
      ['1004', 'no-answer', 480],
    ]);
    expect(n.engine?.endpointCount).toBe(0);
  });

  it('CANCEL while the callee rings cancels the callee and leaves no call behind', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    const ac = new AbortController();
    const p = alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media, signal: ac.signal }).catch((e) => e);
    await n.run(100);
    bob.incoming[0]?.ring();
    await n.run(100);
    let bobCancelled = false;
    bob.incoming[0]?.on('cancelled', () => {
      bobCancelled = true;
    });
    ac.abort();
    await n.run(300);
    expect((await p).code).toBe('ERR_ABORTED');
    expect(bobCancelled).toBe(true);
    expect(n.sw.calls.size).toBe(0);
    expect(n.engine?.endpointCount).toBe(0);
    expect(n.sw.ua.dialogCount).toBe(0);
    const [cdr] = (await n.sw.storage.cdrs.query()).items;
    expect(cdr).toMatchObject({ disposition: 'cancelled', hangup: { by: 'caller', status: 487 } });
  });
});
