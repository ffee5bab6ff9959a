/**
 * A minimal B2BUA built only on the public UserAgent API, as the switch will
 * build one: A calls the B2BUA, which calls C; early media (reliably when
 * both legs do 100rel), the final status, re-INVITEs (hold) and BYE pass
 * from one leg to the other, with raw SDP relayed unchanged.
 */
import { describe, expect, it } from 'vitest';
import { type InviteSession, SipResponseError, type UserAgent } from '../../../src/sip/index.js';
import { makeNet, media } from './ua-helpers.js';

/** Bridges every incoming call on `b2b` to `sip:<user>@<target>`. */
function bridge(b2b: UserAgent, target: string): void {
  b2b.on('INVITE', (a) => {
    const user = (a.request.uri as { user?: string }).user ?? 'x';
    const c = b2b.call(`sip:${user}@${target}`, {
      ...(a.offer === undefined ? {} : { sdp: a.offer }),
      headers: [['X-Original-From', a.request.from.uri.toString()]],
    });
    c.on('ringing', () => a.state !== 'terminated' && a.ring());
    c.on('progress', (p) => {
      if (p.response.status !== 180 && p.sdp !== undefined && a.state !== 'terminated')
        a.progress(p.sdp, { status: p.response.status, reliable: p.reliable });
    });
    a.on('cancelled', () => c.cancel());
    c.established.then(
      (leg) => {
        a.answer(leg.remoteSdp);
        // re-offers from either side are forwarded to the other leg; its answer is ours
        a.setOfferHandler(async (offer) => {
          await leg.reinvite(offer);
          return leg.remoteSdp;
        });
        leg.setOfferHandler(async (offer) => {
          await a.reinvite(offer);
          return a.remoteSdp;
        });
        a.on('ended', () => leg.bye());
        leg.on('ended', () => a.bye());
      },
      (err: SipResponseError) => {
        if (a.state === 'terminated') return;
        // response-code pass-through
        a.reject(err.status >= 300 ? err.status : 500, { reason: err.reason || undefined });
      },
    );
  });
}

describe('a B2BUA on the public API', () => {
  it('bridges early media, the answer, a hold re-INVITE and the BYE; SDP passes unchanged', async () => {
    const n = makeNet();
    const a = n.ua('10.0.0.1');
    const b2b = n.ua('10.0.0.2', { media: undefined });
    const c = n.ua('10.0.0.3');
    bridge(b2b, '10.0.0.3');
    let atC: InviteSession | undefined;
    c.on('INVITE', (s) => {
      atC = s;
      s.progress(media('10.0.0.3', 43000)); // early media, reliable (both legs do 100rel)
      n.clock.setTimeout(() => s.answer(), 500);
    });
    const call = a.call('sip:carol@10.0.0.2', { offer: media('10.0.0.1') });
    const progress: Array<{ status: number; reliable: boolean; port?: number }> = [];
    call.on('progress', (p) =>
      progress.push({
        status: p.response.status,
        reliable: p.reliable,
        ...(p.sdp ? { port: Number(/m=audio (\d+)/.exec(p.sdp)?.[1]) } : {}),
      }),
    );
    await n.run(1000);
    const session = await call.established;
    expect(progress).toEqual([{ status: 183, reliable: true, port: 43000 }]);
    // the SDP C sent reaches A unchanged, and A's offer reaches C unchanged
    expect(session.remoteSdp).toBe(atC?.localSdp);
    expect(atC?.offer).toBe(session.localSdp);
    expect(atC?.request.getHeader('X-Original-From')).toBe('sip:strowger@10.0.0.1');
    // hold from A is forwarded to C
    const holds: string[] = [];
    atC?.on('hold', () => holds.push('hold'));
    atC?.on('unhold', () => holds.push('unhold'));
    await Promise.all([session.hold(), n.run(200)]);
    await Promise.all([session.unhold(), n.run(200)]);
    expect(holds).toEqual(['hold', 'unhold']);
    // C hangs up: A gets the BYE
    await Promise.all([atC?.bye(), n.run(200)]);
    expect(session.endedInfo?.reason).toBe('remote-bye');
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
    for (const ua of [a, b2b, c]) expect(ua.dialogCount).toBe(0);
  });

  it('passes the callee final status through (486 Busy Here, 603 Decline) and cancels the far leg', async () => {
    const n = makeNet();
    const a = n.ua('10.0.0.1');
    const b2b = n.ua('10.0.0.2');
    const c = n.ua('10.0.0.3');
    bridge(b2b, '10.0.0.3');
    let cancelledAtC = false;
    c.on('INVITE', (s) => {
      const user = (s.request.uri as { user?: string }).user;
      if (user === 'busy') s.reject(486);
      else if (user === 'decline') s.reject(603, { reason: 'Not Today' });
      else {
        s.ring();
        s.on('cancelled', () => {
          cancelledAtC = true;
        });
      }
    });
    const [busy] = await Promise.all([a.invite('sip:busy@10.0.0.2').catch((e) => e), n.run(200)]);
    expect(busy).toBeInstanceOf(SipResponseError);
    expect(busy.status).toBe(486);
    const [decline] = await Promise.all([a.invite('sip:decline@10.0.0.2').catch((e) => e), n.run(200)]);
    expect([decline.status, decline.reason]).toEqual([603, 'Not Today']);
    const ac = new AbortController();
    const p = a.invite('sip:ring@10.0.0.2', { signal: ac.signal }).catch((e) => e);
    await n.run(200);
    ac.abort();
    await n.run(200);
    expect((await p).code).toBe('ERR_ABORTED');
    expect(cancelledAtC).toBe(true);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});
