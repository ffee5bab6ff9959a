/**
 * EndedInfo.holdAnswer: the 200 to a peer's BYE waits for the work an `ended` listener
 * hands over ("write, then acknowledge"), at most BYE_ANSWER_HOLD_MAX_MS.
 */
import { describe, expect, it } from 'vitest';
import { BYE_ANSWER_HOLD_MAX_MS, type EndedInfo, type InviteSession } from '../../../src/sip/index.js';
import { makeNet } from './ua-helpers.js';

async function established(n: ReturnType<typeof makeNet>) {
  const alice = n.ua('10.0.0.1');
  const bob = n.ua('10.0.0.2');
  let incoming: InviteSession | undefined;
  bob.on('INVITE', (s) => {
    incoming = s;
    s.answer();
  });
  const call = alice.call('sip:bob@10.0.0.2');
  await n.run(200);
  const session = await call.established;
  if (!incoming) throw new Error('no incoming session');
  return { session, incoming, bob };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('holding the answer to a BYE', () => {
  it('answers at once when nobody holds it', async () => {
    const n = makeNet();
    const { session, incoming } = await established(n);
    let info: EndedInfo | undefined;
    incoming.on('ended', (e) => {
      info = e;
    });
    const bye = session.bye();
    await n.run(10);
    await bye;
    expect(info?.reason).toBe('remote-bye');
    expect(typeof info?.holdAnswer).toBe('function');
    expect(n.trace().slice(-2)).toEqual(['BYE', '200 BYE']);
    await n.closeAll();
  });

  it('sends the 200 only once the held work settles (even when it fails)', async () => {
    for (const outcome of ['resolve', 'reject'] as const) {
      const n = makeNet();
      const { session, incoming } = await established(n);
      const work = deferred();
      const work2 = deferred();
      incoming.on('ended', (e) => {
        e.holdAnswer?.(work.promise);
        e.holdAnswer?.(work2.promise);
      });
      let answered = false;
      const bye = session.bye().then(() => {
        answered = true;
      });
      await n.run(1000);
      // BYE retransmissions (UDP-like loop network) are absorbed, nothing answered yet
      expect(answered).toBe(false);
      expect(n.trace().filter((t) => t === '200 BYE')).toEqual([]);
      expect(incoming.state).toBe('terminated');
      work2.resolve();
      await n.run(10);
      expect(answered).toBe(false);
      if (outcome === 'resolve') work.resolve();
      else work.reject(new Error('disk full'));
      await n.run(10);
      await bye;
      expect(answered).toBe(true);
      expect(session.endedInfo?.reason).toBe('local-bye');
      expect(n.trace().filter((t) => t === '200 BYE').length).toBeGreaterThanOrEqual(1);
      await n.closeAll();
    }
  });

  it('answers after BYE_ANSWER_HOLD_MAX_MS when the work never settles', async () => {
    const n = makeNet();
    const { session, incoming } = await established(n);
    incoming.on('ended', (e) => e.holdAnswer?.(new Promise(() => undefined)));
    let answered = false;
    const bye = session.bye().then(() => {
      answered = true;
    });
    await n.run(BYE_ANSWER_HOLD_MAX_MS - 50);
    expect(answered).toBe(false);
    await n.run(100);
    await bye;
    expect(answered).toBe(true);
    expect(session.endedInfo?.reason).toBe('local-bye');
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a UA that closes sends its held answers first', async () => {
    const n = makeNet();
    const { session, incoming, bob } = await established(n);
    incoming.on('ended', (e) => e.holdAnswer?.(new Promise(() => undefined)));
    let answered = false;
    const bye = session.bye().then(() => {
      answered = true;
    });
    await n.run(500);
    expect(answered).toBe(false);
    await Promise.all([bob.close(), n.run(50)]);
    await n.run(50);
    await bye;
    expect(answered).toBe(true);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('holdAnswer after the ended event is a typed error', async () => {
    const n = makeNet();
    const { session, incoming } = await established(n);
    let info: EndedInfo | undefined;
    incoming.on('ended', (e) => {
      info = e;
    });
    await Promise.all([session.bye(), n.run(10)]);
    expect(() => info?.holdAnswer?.(Promise.resolve())).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE' }),
    );
    await n.closeAll();
  });
});
