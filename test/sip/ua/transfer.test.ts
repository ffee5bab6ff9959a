/**
 * REFER (RFC 3515) with its implicit subscription and NOTIFY sipfrag,
 * norefersub (RFC 4488), attended transfer with Replaces (RFC 3891), and the
 * SUBSCRIBE/NOTIFY framework (RFC 6665), on the loop network.
 */
import { describe, expect, it } from 'vitest';
import { type InviteSession, type SipRequest, SipResponseError } from '../../../src/sip/index.js';
import { makeNet } from './ua-helpers.js';

function autoAnswer(ua: ReturnType<ReturnType<typeof makeNet>['ua']>, into: InviteSession[] = []) {
  ua.on('INVITE', (s) => {
    into.push(s);
    s.answer();
  });
  return into;
}

describe('REFER', () => {
  it('blind transfer: the transferee calls the target and reports 100 then 200 by NOTIFY; refer() resolves with 200', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    const carol = n.ua('10.0.0.3');
    const atBob = autoAnswer(bob);
    const atCarol = autoAnswer(carol);
    // Alice follows REFERs
    alice.on('session', (s) =>
      s.on('refer', (refer) => {
        refer.accept();
        alice
          .invite(refer.target, refer.inviteOptions())
          .then(
            () => refer.notify(200, 'OK'),
            (e: SipResponseError) => refer.notify(e.status || 503, e.reason),
          )
          .catch(() => undefined);
      }),
    );
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const b = atBob[0] as InviteSession;
    const notifies: string[] = [];
    b.on('notify', (r) => notifies.push(r.bodyText.trim()));
    const [result] = await Promise.all([b.refer('sip:carol@10.0.0.3'), n.run(200)]);
    expect(result.status).toBe(200);
    expect(result.subscription).toBe(true);
    expect(notifies).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expect(atCarol).toHaveLength(1);
    const referredBy = atCarol[0]?.request.getHeader('Referred-By');
    expect(referredBy).toContain('sip:bob@');
    const refer = n.messages().find(({ m }) => 'method' in m && (m as SipRequest).method === 'REFER')
      ?.m as SipRequest;
    const notify = n.messages().filter(({ m }) => 'method' in m && (m as SipRequest).method === 'NOTIFY');
    expect(notify.map(({ m }) => m.getHeader('Event'))).toEqual([
      `refer;id=${refer.cseq.seq}`,
      `refer;id=${refer.cseq.seq}`,
    ]);
    expect(notify[1]?.m.getHeader('Subscription-State')).toBe('terminated;reason=noresource');
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('norefersub: REFER with Refer-Sub: false is answered 200 with Refer-Sub: false and no NOTIFY follows', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    const atBob = autoAnswer(bob);
    alice.on('session', (s) => s.on('refer', (r) => r.accept()));
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const [result] = await Promise.all([
      (atBob[0] as InviteSession).refer('sip:carol@10.0.0.3', { norefersub: true }),
      n.run(50),
    ]);
    expect(result).toMatchObject({ status: 200, subscription: false });
    expect(n.trace()).not.toContain('NOTIFY');
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
  });

  it('a REFER nobody listens for is declined with 603 and refer() rejects', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    autoAnswer(bob);
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const [err] = await Promise.all([a.refer('sip:carol@10.0.0.3').catch((e) => e), n.run(50)]);
    expect(err).toBeInstanceOf(SipResponseError);
    expect(err.status).toBe(603);
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
  });

  it('attended transfer: the new INVITE carries Replaces and the replaced dialog is ended with BYE', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    const carol = n.ua('10.0.0.3');
    const atBob = autoAnswer(bob);
    const atCarol = autoAnswer(carol);
    alice.on('session', (s) =>
      s.on('refer', (refer) => {
        refer.accept();
        alice.invite(refer.target, refer.inviteOptions()).then(
          () => refer.notify(200, 'OK'),
          () => refer.notify(503),
        );
      }),
    );
    // Alice talks to Bob; Bob consults Carol; Bob transfers Alice to Carol, replacing Bob-Carol
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const [consult] = await Promise.all([bob.invite('sip:carol@10.0.0.3'), n.run(50)]);
    const bobWithAlice = atBob[0] as InviteSession;
    const carolWithBob = atCarol[0] as InviteSession;
    const [result] = await Promise.all([
      bobWithAlice.refer('sip:carol@10.0.0.3', { replaces: consult }),
      n.run(200),
    ]);
    expect(result.status).toBe(200);
    const carolWithAlice = atCarol[1] as InviteSession;
    expect(carolWithAlice.replaces).toBe(carolWithBob);
    expect(carolWithAlice.request.replaces?.callId).toBe(consult.callId);
    expect(carolWithBob.endedInfo?.reason).toBe('replaced');
    expect(consult.endedInfo?.reason).toBe('remote-bye');
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('an INVITE with Replaces naming no dialog gets 481; early-only against a confirmed dialog gets 486', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    autoAnswer(bob);
    const [err] = await Promise.all([
      alice
        .invite('sip:bob@10.0.0.2', { replaces: { callId: 'nope', toTag: 'x', fromTag: 'y' } })
        .catch((e) => e),
      n.run(50),
    ]);
    expect(err.status).toBe(481);
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const id = a.dialog?.id;
    const [err2] = await Promise.all([
      alice
        .invite('sip:bob@10.0.0.2', {
          replaces: {
            callId: id?.callId ?? '',
            toTag: id?.remoteTag ?? '',
            fromTag: id?.localTag ?? '',
            earlyOnly: true,
          },
        })
        .catch((e) => e),
      n.run(50),
    ]);
    expect(err2.status).toBe(486);
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
  });
});

describe('SUBSCRIBE/NOTIFY (RFC 6665)', () => {
  it('subscribes, receives notifies, refreshes before expiry, and ends on a terminated NOTIFY', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    const refreshed: number[] = [];
    let notifier: import('../../../src/sip/index.js').IncomingSubscription | undefined;
    bob.on('SUBSCRIBE', (sub) => {
      notifier = sub;
      sub.on('refreshed', (e) => refreshed.push(e));
      sub.accept({ expires: 120 });
      sub.notify('active', 'Messages-Waiting: yes\r\n', {
        contentType: 'application/simple-message-summary',
      });
    });
    const [sub] = await Promise.all([
      alice.subscribe('sip:bob@10.0.0.2', 'message-summary', { expires: 120 }),
      n.run(50),
    ]);
    const bodies: string[] = [];
    const ended: Array<string | undefined> = [];
    sub.on('notify', (i) => bodies.push(`${i.state} ${i.body.trim()}`));
    sub.on('terminated', (i) => ended.push(i.reason));
    await n.run(10);
    expect(sub.expires).toBe(120);
    // refresh at max(60, 120 - 30) = 90 s
    const t = n.clock.now();
    await n.run(91_000);
    expect(refreshed).toEqual([120]);
    const subscribes = n
      .messages()
      .filter(({ m }) => 'method' in m && (m as SipRequest).method === 'SUBSCRIBE');
    expect(subscribes).toHaveLength(2);
    expect((subscribes[1]?.p.at ?? 0) - t).toBeLessThanOrEqual(90_000);
    await Promise.all([notifier?.notify('terminated', undefined, { reason: 'noresource' }), n.run(50)]);
    expect(ended).toEqual(['noresource']);
    expect(sub.terminated).toBe(true);
    expect(alice.dialogCount + bob.dialogCount).toBe(0);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('the notifier ends an unrefreshed subscription at expiry with reason timeout; a refresh to a gone subscription gets 481', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('SUBSCRIBE', (sub) => {
      sub.accept({ expires: 60 });
      sub.notify('active');
    });
    const [sub] = await Promise.all([
      alice.subscribe('sip:bob@10.0.0.2', 'presence', { expires: 60, refreshMarginSec: 0 }),
      n.run(50),
    ]);
    const ended: Array<string | undefined> = [];
    sub.on('terminated', (i) => ended.push(i.reason));
    // drop Alice's refresh so the notifier's timer runs out
    n.net.onPacket((p) => !new TextDecoder().decode(p.data).startsWith('SUBSCRIBE'));
    await n.run(61_000);
    expect(ended).toEqual(['timeout']);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a NOTIFY that arrives before the 2xx creates the dialog (RFC 6665 §4.1.2.4)', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('SUBSCRIBE', (sub) => {
      sub.accept({ expires: 300 });
      sub.notify('active', 'first');
    });
    let dropped = false;
    n.net.onPacket((p) => {
      const text = new TextDecoder().decode(p.data);
      if (!dropped && text.startsWith('SIP/2.0 200') && /CSeq: \d+ SUBSCRIBE/.test(text)) {
        dropped = true; // the first 200 is lost: the NOTIFY gets there first
        return false;
      }
      return true;
    });
    const p = alice.subscribe('sip:bob@10.0.0.2', 'presence', { expires: 300 });
    await n.run(2000);
    const sub = await p;
    expect(dropped).toBe(true);
    expect(sub.state).toBe('active');
    expect(sub.dialog?.state).toBe('confirmed');
    expect(alice.dialogCount).toBe(1);
    await Promise.all([sub.unsubscribe(), n.run(100)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('SUBSCRIBE without a handler gets 405', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    n.ua('10.0.0.2');
    const [e] = await Promise.all([
      alice.subscribe('sip:bob@10.0.0.2', 'presence').catch((x) => x),
      n.run(50),
    ]);
    expect(e.status).toBe(405);
    await n.closeAll();
  });
});
