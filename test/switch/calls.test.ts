/**
 * Calls through the switch core, end to end on in-memory networks with a fake clock:
 * registered phones (UserAgents with digest credentials), the B2BUA, anchored media in
 * the engine's in-process worker, CDRs in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SipResponseError } from '../../src/sip/index.js';
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
