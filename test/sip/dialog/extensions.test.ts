/** The pure parts of sip/dialog: glare delays, RSeq bookkeeping (RFC 3262), session-timer decisions (RFC 4028). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/index.js';
import {
  Dialog,
  expiryDelayMs,
  glareRetryDelay,
  RSeqCounter,
  RSeqTracker,
  refreshDelayMs,
  uacSessionTimer,
  uasSessionTimer,
} from '../../../src/sip/dialog/index.js';
import { createRequest, createResponse, type SipRequest } from '../../../src/sip/index.js';

const invite = (headers: Array<[string, string]> = []): SipRequest =>
  createRequest({
    method: 'INVITE',
    uri: 'sip:bob@b.example',
    from: '<sip:alice@a.example>;tag=a1',
    to: 'sip:bob@b.example',
    callId: 'c1',
    cseq: 7,
    contact: 'sip:alice@192.0.2.1',
    via: ['SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'],
    headers,
  });

describe('glare retry delay (RFC 3261 §14.1)', () => {
  it('is 2.1-4 s for the Call-ID owner and 0-2 s otherwise, in 10 ms steps', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, owner) => {
        const d = glareRetryDelay(owner, seededRandom(seed));
        expect(d % 10).toBe(0);
        if (owner) expect(d >= 2100 && d <= 4000).toBe(true);
        else expect(d >= 0 && d <= 2000).toBe(true);
      }),
    );
  });

  it('reaches both ends of each window', () => {
    const seen = new Set<number>();
    const r = seededRandom(3);
    for (let i = 0; i < 20_000; i++) seen.add(glareRetryDelay(true, r));
    expect(Math.min(...seen)).toBe(2100);
    expect(Math.max(...seen)).toBe(4000);
  });
});

describe('RSeq (RFC 3262)', () => {
  it('the UAS numbers provisionals upward from a random start below 2^31 and matches only the right RAck', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed, cseq) => {
        const c = new RSeqCounter(seededRandom(seed));
        const a = c.allocate(cseq);
        expect(a).toBeGreaterThanOrEqual(1);
        expect(a).toBeLessThan(2 ** 31);
        expect(c.acknowledge({ rseq: a + 1, cseq, method: 'INVITE' })).toBe(false);
        expect(c.acknowledge({ rseq: a, cseq: cseq + 1, method: 'INVITE' })).toBe(false);
        expect(c.acknowledge({ rseq: a, cseq, method: 'BYE' })).toBe(false);
        expect(c.pending).toBe(true);
        expect(c.acknowledge({ rseq: a, cseq, method: 'invite' })).toBe(true);
        expect(c.pending).toBe(false);
        expect(c.acknowledge({ rseq: a, cseq, method: 'INVITE' })).toBe(false);
        expect(c.allocate(cseq)).toBe(a + 1);
      }),
    );
  });

  it('the UAC takes each RSeq once and in order', () => {
    const t = new RSeqTracker();
    expect(t.receive(10)).toBe('new');
    expect(t.receive(10)).toBe('retransmission');
    expect(t.receive(12)).toBe('out-of-order');
    expect(t.receive(11)).toBe('new');
    expect(t.receive(12)).toBe('new');
    expect(t.receive(3)).toBe('retransmission');
  });
});

describe('session timers (RFC 4028)', () => {
  const config = { expires: 1800, minSE: 90 };

  it('a Session-Expires below our Min-SE is refused with our Min-SE (422)', () => {
    expect(uasSessionTimer(invite([['Session-Expires', '60']]), config)).toEqual({
      kind: 'reject',
      minSE: 90,
    });
    expect(uasSessionTimer(invite([['Session-Expires', '100']]), { expires: 1800, minSE: 300 })).toEqual({
      kind: 'reject',
      minSE: 300,
    });
  });

  it('accepts, shortening to our expires but never below either Min-SE; keeps the requested refresher', () => {
    expect(
      uasSessionTimer(
        invite([
          ['Session-Expires', '3600;refresher=uac'],
          ['Supported', 'timer'],
        ]),
        config,
      ),
    ).toEqual({
      kind: 'accept',
      timer: { interval: 1800, refresher: 'uac' },
      require: true,
    });
    expect(
      uasSessionTimer(
        invite([
          ['Session-Expires', '4000'],
          ['Min-SE', '2000'],
          ['Supported', 'timer'],
        ]),
        config,
      ),
    ).toMatchObject({ timer: { interval: 2000, refresher: 'uas' } });
    // a UAC without timer support: we refresh, and Require is not sent
    expect(uasSessionTimer(invite([['Session-Expires', '600']]), config)).toEqual({
      kind: 'accept',
      timer: { interval: 600, refresher: 'uas' },
      require: false,
    });
    expect(uasSessionTimer(invite(), config)).toEqual({ kind: 'none' });
    expect(uasSessionTimer(invite([['Supported', 'timer']]), config)).toMatchObject({ kind: 'accept' });
  });

  it('invariant: an accepted interval is at least 90 s, our Min-SE and the request Min-SE', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.option(fc.integer({ min: 90, max: 100_000 })),
        fc.integer({ min: 90, max: 10_000 }),
        fc.integer({ min: 90, max: 10_000 }),
        (se, theirMin, expires, minSE) => {
          const h: Array<[string, string]> = [
            ['Session-Expires', String(se)],
            ['Supported', 'timer'],
          ];
          if (theirMin !== null) h.push(['Min-SE', String(theirMin)]);
          const d = uasSessionTimer(invite(h), { expires, minSE });
          if (se < minSE) expect(d).toEqual({ kind: 'reject', minSE });
          else if (d.kind === 'accept') {
            expect(d.timer.interval).toBeGreaterThanOrEqual(Math.max(90, minSE, theirMin ?? 90));
          } else throw new Error('unexpected');
        },
      ),
    );
  });

  it('refresh at half the interval, give up at interval − min(32 s, interval/3)', () => {
    expect(refreshDelayMs({ interval: 1800, refresher: 'uac' })).toBe(900_000);
    expect(expiryDelayMs({ interval: 1800, refresher: 'uac' })).toBe(1_768_000);
    expect(expiryDelayMs({ interval: 90, refresher: 'uac' })).toBe(60_000);
  });

  it('the UAC reads the timer from the 2xx; a 2xx without Session-Expires means none', () => {
    const req = invite();
    const ok = createResponse(req, 200, { toTag: 'b', headers: [['Session-Expires', '900;refresher=uas']] });
    expect(uacSessionTimer(ok)).toEqual({ interval: 900, refresher: 'uas' });
    expect(uacSessionTimer(createResponse(req, 200, { toTag: 'b' }))).toBeUndefined();
  });
});

describe('Dialog.fromNotify (RFC 6665 §4.1.2.4)', () => {
  it('builds the subscriber dialog from a NOTIFY that beat the 2xx', () => {
    const sub = createRequest({
      method: 'SUBSCRIBE',
      uri: 'sip:bob@b.example',
      from: '<sip:alice@a.example>;tag=a1',
      to: 'sip:bob@b.example',
      callId: 's1',
      cseq: 3,
      contact: 'sip:alice@192.0.2.1',
    });
    const notify = createRequest({
      method: 'NOTIFY',
      uri: 'sip:alice@192.0.2.1',
      from: '<sip:bob@b.example>;tag=b9',
      to: '<sip:alice@a.example>;tag=a1',
      callId: 's1',
      cseq: 1,
      contact: 'sip:bob@192.0.2.2',
      headers: [['Record-Route', '<sip:p1.example;lr>']],
    });
    const d = Dialog.fromNotify(sub, notify);
    expect(d.id).toEqual({ callId: 's1', localTag: 'a1', remoteTag: 'b9' });
    expect(d.remoteTarget.toString()).toBe('sip:bob@192.0.2.2');
    expect(d.routeSet.map(String)).toEqual(['<sip:p1.example;lr>']);
    expect(d.ownsCallId).toBe(true);
    expect(d.createRequest('SUBSCRIBE').cseq.seq).toBe(4);
  });
});
