/**
 * An ended session is not kept alive by its transactions. The INVITE transactions outlive
 * the call (Timers L and M: 32 s over UDP) and used to hold the session through their
 * listeners, and with it everything the application hung on it (a switch's whole call).
 * Checked in the heap itself (see test/helpers/heap.ts).
 */
import { describe, expect, it } from 'vitest';
import type { InviteSession } from '../../../src/sip/index.js';
import { heapHolds, marker } from '../../helpers/heap.js';
import { makeNet } from './ua-helpers.js';

/** Hangs an application object on a session (its 'ended' listener reads it); returns how to find it. */
function attach(s: InviteSession, label: string): Buffer {
  const app = marker(label);
  const state = { note: app.text };
  s.on('ended', () => void state.note);
  return app.needle;
}

/** Sets up a call whose two sessions each carry an application object; keeps no reference to them. */
async function callWithAppState(n: ReturnType<typeof makeNet>, label: string) {
  const alice = n.ua('10.0.0.1');
  const bob = n.ua('10.0.0.2');
  const needles: Buffer[] = [];
  // the test lets go of the sessions too once it hung up: only the stack may hold them then
  const sessions: { caller?: InviteSession; callee?: InviteSession } = {};
  bob.on('INVITE', (s) => {
    sessions.callee = s;
    needles.push(attach(s, `${label}-callee`));
    s.answer();
  });
  const call = alice.call('sip:bob@10.0.0.2');
  sessions.caller = call;
  needles.push(attach(call, `${label}-caller`));
  await n.run(200);
  await call.established;
  const end = (who: 'caller' | 'callee') => {
    const s = sessions[who];
    sessions.caller = sessions.callee = undefined;
    return s?.bye();
  };
  return { needles, end };
}

describe('an ended session and its lingering transactions', () => {
  for (const who of ['caller', 'callee'] as const) {
    it(`lets the application's state go once the ${who} hangs up, while Timers L and M run`, async () => {
      const n = makeNet();
      const { needles, end } = await callWithAppState(n, `session-memory-${who}`);
      expect(needles).toHaveLength(2);
      for (const needle of needles) expect(await heapHolds(needle)).toBe(true);
      const bye = end(who);
      await n.run(500);
      await bye;
      // the INVITE transactions are still there (a 2xx retransmission would be ACKed again)
      expect(n.trace().slice(-2)).toEqual(['BYE', '200 BYE']);
      for (const needle of needles) expect(await heapHolds(needle)).toBe(false);
      await n.closeAll();
    });
  }

  it('the caller still ACKs a retransmitted 2xx after the call ended (Timer M)', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', (s) => s.answer());
    const call = alice.call('sip:bob@10.0.0.2');
    await n.run(200);
    await call.established;
    const bye = call.bye();
    await n.run(100);
    await bye;
    const ok = n.net.log.find((p) => {
      const text = Buffer.from(p.data).toString('latin1');
      return text.startsWith('SIP/2.0 200 ') && text.includes('INVITE\r\n');
    });
    if (!ok) throw new Error('no 2xx in the log');
    // the callee's 2xx once more, as if our first ACK had been lost (its source port does not matter)
    const again = n.net.createTransport({ address: '10.0.0.2', port: 5070 });
    await again.send(ok.data, { address: '10.0.0.1', port: 5060 });
    await n.run(100);
    expect(n.trace().filter((t) => t === 'ACK')).toHaveLength(2);
    await n.closeAll();
  });
});
