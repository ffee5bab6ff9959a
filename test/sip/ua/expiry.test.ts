/**
 * An application that never answers: the transaction layer's bound ends the
 * wait (INVITE: inviteServerTimeout → 408, the session ends with `timeout`;
 * other requests: 64·T1, nothing sent), and answering late is harmless —
 * ignored and reported as `lateResponse`, never thrown — while real misuse
 * still throws. Nothing is left behind.
 */
import { describe, expect, it } from 'vitest';
import {
  type EndedInfo,
  type IncomingRequest,
  type IncomingSubscription,
  type InviteSession,
  SipResponseError,
} from '../../../src/sip/index.js';
import { makeNet } from './ua-helpers.js';

describe('an application that never answers', () => {
  it('an incoming call rings until inviteServerTimeout after the last provisional, then 408 ends both sides', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2', { inviteServerTimeout: 20_000 });
    let incoming: InviteSession | undefined;
    const ended: EndedInfo[] = [];
    bob.on('INVITE', (s) => {
      incoming = s;
      s.on('ended', (e) => ended.push(e));
      s.ring();
    });
    const late: Array<[string, number]> = [];
    bob.transactions.on('lateResponse', (tx, status) => late.push([tx.method, status]));
    const outcome = alice.invite('sip:bob@10.0.0.2').catch((e: unknown) => e);
    await n.run(19_000);
    expect(incoming?.state).toBe('early');
    incoming?.progress(undefined, { status: 183 }); // the call still signals: the wait restarts
    await n.run(19_999);
    expect(ended).toEqual([]);
    await n.run(100);
    expect(ended.map((e) => [e.reason, e.status])).toEqual([['timeout', 408]]);
    const err = await outcome;
    expect(err).toBeInstanceOf(SipResponseError);
    expect((err as SipResponseError).status).toBe(408);
    expect(n.trace()).toEqual(['INVITE', '180 INVITE', '183 INVITE', '408 INVITE', 'ACK']);
    // the application answers late: harmless, reported, nothing on the wire
    const wire = n.net.log.length;
    expect(() => incoming?.answer()).not.toThrow();
    expect(() => incoming?.reject(486)).not.toThrow();
    expect(() => incoming?.ring()).not.toThrow();
    await n.run(1000);
    expect(n.net.log.length).toBe(wire);
    expect(late).toEqual([
      ['INVITE', 200],
      ['INVITE', 486],
      ['INVITE', 180],
    ]);
    expect(incoming?.state).toBe('terminated');
    await n.run(64 * 500);
    expect(bob.sessions.size).toBe(0);
    expect(bob.dialogCount).toBe(0);
    expect(bob.transactions.serverCount).toBe(0);
    expect(Object.values(bob.transactions._indexSizes()).every((s) => s === 0)).toBe(true);
    await n.closeAll();
  });

  it('a MESSAGE held by the application expires after 64·T1; a late respond() neither throws nor sends', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let held: IncomingRequest | undefined;
    bob.on('MESSAGE', (m) => {
      held = m;
    });
    const expired: string[] = [];
    const late: number[] = [];
    bob.transactions.on('expired', (tx) => expired.push(tx.method));
    bob.transactions.on('lateResponse', (_tx, status) => late.push(status));
    const outcome = alice.message('sip:bob@10.0.0.2', 'hello').catch((e: unknown) => e);
    await n.run(64 * 500 + 100);
    expect(expired).toEqual(['MESSAGE']);
    expect(held?.expired).toBe(true);
    expect(held?.responded).toBe(true);
    expect(((await outcome) as { code: string }).code).toBe('ERR_TX_TIMEOUT');
    const wire = n.net.log.length;
    expect(() => held?.respond(200)).not.toThrow();
    await n.run(1000);
    expect(n.net.log.length).toBe(wire);
    expect(late).toEqual([200]);
    // RFC 4320 §4.2: nothing was ever sent back
    expect(n.trace().filter((t) => t.endsWith(' MESSAGE'))).toEqual([]);
    expect(bob.transactions.serverCount).toBe(0);
    await n.closeAll();
  });

  it('a SUBSCRIBE accepted too late creates no dialog', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let held: IncomingSubscription | undefined;
    bob.on('SUBSCRIBE', (s) => {
      held = s;
    });
    const outcome = alice.subscribe('sip:bob@10.0.0.2', 'presence').catch((e: unknown) => e);
    await n.run(64 * 500 + 100);
    await outcome;
    expect(() => held?.accept()).not.toThrow();
    expect(held?.dialog).toBeUndefined();
    expect(bob.dialogCount).toBe(0);
    expect(bob.transactions.serverCount).toBe(0);
    await n.closeAll();
  });

  it('still throws for real misuse: answering twice', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let held: IncomingRequest | undefined;
    let session: InviteSession | undefined;
    bob.on('MESSAGE', (m) => {
      held = m;
      m.respond(200);
    });
    bob.on('INVITE', (s) => {
      session = s;
      s.reject(486);
    });
    await Promise.all([alice.message('sip:bob@10.0.0.2', 'hi'), n.run(100)]);
    expect(() => held?.respond(200)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await Promise.all([alice.invite('sip:bob@10.0.0.2').catch(() => undefined), n.run(100)]);
    expect(() => session?.answer()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await n.closeAll();
  });
});
