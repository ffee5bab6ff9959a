import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DigitEvent,
  RtpParseError,
  TelephoneEvent,
  type TelephoneEventInput,
  type TelephoneEventPacket,
  TelephoneEventReceiver,
  TelephoneEventSender,
  telephoneEventCode,
  telephoneEventName,
} from '../../src/rtp/index.js';
import { hex } from './arbitraries.js';

describe('RFC 4733 telephone-event payload', () => {
  it('reads event, E bit, volume and duration', () => {
    const e = TelephoneEvent.parse(
      hex([
        '05', //   event 5
        'ca', //   E=1 R=1 (ignored) volume 10
        '0320', // duration 800 (100 ms at 8 kHz)
      ]),
    );
    expect([e.event, e.end, e.volume, e.duration]).toEqual([5, true, 10, 800]);
    expect(Buffer.from(e.serialize()).toString('hex')).toBe('058a0320'); // R is sent as 0
  });

  it('rejects payloads that are not 4 bytes with RtpParseError', () => {
    for (const n of [0, 3, 5, 8])
      expect(() => TelephoneEvent.parse(new Uint8Array(n))).toThrow(RtpParseError);
  });

  it('round-trips every payload', () => {
    fc.assert(
      fc.property(
        fc.record({
          event: fc.integer({ min: 0, max: 255 }),
          end: fc.boolean(),
          volume: fc.integer({ min: 0, max: 63 }),
          duration: fc.integer({ min: 0, max: 0xffff }),
        }),
        (init) => {
          expect({ ...TelephoneEvent.parse(new TelephoneEvent(init).serialize()) }).toEqual(init);
        },
      ),
    );
  });

  it('refuses unwritable fields with ERR_INVALID_ARGUMENT', () => {
    for (const init of [{ event: 256 }, { event: 1, volume: 64 }, { event: 1, duration: 0x10000 }]) {
      expect(() => new TelephoneEvent(init).serialize()).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('names DTMF events and back', () => {
    expect([0, 9, 10, 11, 12, 15, 16, 17].map(telephoneEventName)).toEqual([
      '0',
      '9',
      '*',
      '#',
      'A',
      'D',
      'flash',
      undefined,
    ]);
    expect(['5', '*', '#', 'b', 'flash', 'x', '12'].map(telephoneEventCode)).toEqual([
      5,
      10,
      11,
      13,
      16,
      undefined,
      undefined,
    ]);
  });
});

describe('TelephoneEventSender', () => {
  it('sends a marked start, an update every 50 ms and three end packets with one timestamp', () => {
    const s = new TelephoneEventSender();
    const sent: Array<[number, TelephoneEventPacket]> = [];
    const at = (t: number, ps: TelephoneEventPacket[]) => {
      for (const p of ps) sent.push([t, p]);
    };
    at(0, s.start(5, 1000, 0));
    expect(s.nextDueAt()).toBe(50);
    at(49, s.poll(49));
    at(50, s.poll(50));
    at(100, s.poll(100));
    at(120, s.stop(120));
    for (let t = 121; t <= 400; t++) at(t, s.poll(t));
    expect(s.busy).toBe(false);
    expect(s.nextDueAt()).toBeUndefined();
    expect(sent.map(([t, p]) => [t, p.marker, p.end, p.duration])).toEqual([
      [0, true, false, 0],
      [50, false, false, 400],
      [100, false, false, 800],
      [120, false, true, 960],
      [170, false, true, 960],
      [220, false, true, 960],
    ]);
    for (const [, p] of sent) {
      expect(p.timestamp).toBe(1000);
      expect(p.event).toBe(5);
      expect(p.volume).toBe(10);
    }
  });

  it('sends the three end packets back to back when endSpacingMs is 0', () => {
    const s = new TelephoneEventSender({ endSpacingMs: 0, clockRate: 16000 });
    s.start(11, 0, 0);
    const ends = s.stop(100);
    expect(ends.map((p) => [p.end, p.duration])).toEqual([
      [true, 1600],
      [true, 1600],
      [true, 1600],
    ]);
    expect(s.busy).toBe(false);
  });

  it('flushes pending end repeats before starting the next digit', () => {
    const s = new TelephoneEventSender();
    s.start(1, 0, 0);
    s.stop(100);
    const next = s.start(2, 2000, 110);
    expect(next.map((p) => [p.event, p.end, p.marker])).toEqual([
      [1, true, false],
      [1, true, false],
      [2, false, true],
    ]);
    expect(() => s.start(3, 0, 120)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('cuts an event longer than 0xFFFF units into segments (RFC 4733 §2.5.1.3)', () => {
    const s = new TelephoneEventSender();
    const sent: TelephoneEventPacket[] = [...s.start(0, 0xffff0000, 0)];
    for (let t = 50; t <= 9000; t += 50) sent.push(...s.poll(t));
    sent.push(...s.stop(9000));
    const full = sent.filter((p) => p.duration === 0xffff && !p.end);
    expect(full).toHaveLength(1);
    expect(full[0]?.timestamp).toBe(0xffff0000);
    const second = sent.filter((p) => p.timestamp === (0xffff0000 + 0xffff) >>> 0);
    expect(second.length).toBeGreaterThan(10);
    const end = sent.at(-1);
    expect(end?.end).toBe(true);
    expect(end?.duration).toBe(9000 * 8 - 0xffff);
    expect(sent.filter((p) => p.marker)).toHaveLength(1);
  });
});

/** Packets of one event as the sender makes them, `n` updates long. */
function eventPackets(event: number, ts: number, updates: number): TelephoneEventInput[] {
  const s = new TelephoneEventSender({ endSpacingMs: 0 });
  const out: TelephoneEventPacket[] = [...s.start(event, ts, 0)];
  for (let i = 1; i <= updates; i++) out.push(...s.poll(i * 50));
  out.push(...s.stop(updates * 50 + 30));
  return out;
}

function feed(r: TelephoneEventReceiver, packets: TelephoneEventInput[], t0 = 0): DigitEvent[] {
  const out: DigitEvent[] = [];
  packets.forEach((p, i) => {
    out.push(...r.receive(p, t0 + i * 20));
  });
  return out;
}

describe('TelephoneEventReceiver', () => {
  it('reports one begin and one end for a digit despite the redundant end packets', () => {
    const r = new TelephoneEventReceiver();
    const ev = feed(r, eventPackets(5, 1000, 3));
    expect(ev.map((e) => [e.type, e.digit, e.timestamp, e.complete])).toEqual([
      ['begin', '5', 1000, false],
      ['end', '5', 1000, true],
    ]);
    expect(ev[1]?.duration).toBe(180 * 8);
  });

  it('begins a digit whose start packets were lost', () => {
    const r = new TelephoneEventReceiver();
    const ev = feed(r, eventPackets(10, 1000, 4).slice(3));
    expect(ev.map((e) => [e.type, e.digit])).toEqual([
      ['begin', '*'],
      ['end', '*'],
    ]);
  });

  it('reports begin and end from a lone end packet', () => {
    const r = new TelephoneEventReceiver();
    const ev = r.receive({ timestamp: 50, event: 11, end: true, volume: 7, duration: 640 }, 0);
    expect(ev.map((e) => [e.type, e.digit, e.duration, e.complete])).toEqual([
      ['begin', '#', 640, false],
      ['end', '#', 640, true],
    ]);
  });

  it('ignores an end retransmitted after the next digit began', () => {
    const r = new TelephoneEventReceiver();
    const a = eventPackets(1, 1000, 2);
    const b = eventPackets(2, 5000, 2);
    const ev = feed(r, [...a, b[0] as TelephoneEventInput, a.at(-1) as TelephoneEventInput, ...b.slice(1)]);
    expect(ev.map((e) => [e.type, e.digit])).toEqual([
      ['begin', '1'],
      ['end', '1'],
      ['begin', '2'],
      ['end', '2'],
    ]);
  });

  it('ends a digit whose end packets were all lost when the next digit starts (timestamp change)', () => {
    const r = new TelephoneEventReceiver();
    const a = eventPackets(3, 1000, 3).filter((p) => !p.end);
    const ev = feed(r, [...a, ...eventPackets(3, 4000, 1)]);
    expect(ev.map((e) => [e.type, e.digit, e.timestamp, e.complete])).toEqual([
      ['begin', '3', 1000, false],
      ['end', '3', 1000, false],
      ['begin', '3', 4000, false],
      ['end', '3', 4000, true],
    ]);
  });

  it('ends a silent digit after the timeout', () => {
    const r = new TelephoneEventReceiver({ timeoutMs: 500 });
    feed(
      r,
      eventPackets(4, 1000, 2).filter((p) => !p.end),
    );
    expect(r.poll(539)).toEqual([]); // last packet heard at 40 ms
    const ev = r.poll(540);
    expect(ev.map((e) => [e.type, e.digit, e.complete])).toEqual([['end', '4', false]]);
    expect(r.poll(10_000)).toEqual([]);
    expect(r.active).toBe(false);
  });

  it('drops late packets of an earlier digit', () => {
    const r = new TelephoneEventReceiver();
    const a = eventPackets(6, 1000, 2);
    const b = eventPackets(7, 3000, 2);
    const ev = feed(r, [...a, ...b, a[1] as TelephoneEventInput, a[0] as TelephoneEventInput]);
    expect(ev.map((e) => e.digit)).toEqual(['6', '6', '7', '7']);
  });

  it('joins the segments of a long event into one digit', () => {
    const s = new TelephoneEventSender({ endSpacingMs: 0 });
    const sent: TelephoneEventPacket[] = [...s.start(9, 100, 0)];
    for (let t = 50; t <= 20_000; t += 50) sent.push(...s.poll(t));
    sent.push(...s.stop(20_000));
    const r = new TelephoneEventReceiver();
    const ev = feed(r, sent);
    expect(ev.map((e) => [e.type, e.digit, e.timestamp])).toEqual([
      ['begin', '9', 100],
      ['end', '9', 100],
    ]);
    expect(ev[1]?.duration).toBe(20_000 * 8);
  });

  it('reports every digit exactly once through loss, duplication and reordering', () => {
    const digitArb = fc.record({
      event: fc.integer({ min: 0, max: 16 }),
      updates: fc.integer({ min: 0, max: 6 }),
      gap: fc.integer({ min: 1, max: 4000 }),
    });
    fc.assert(
      fc.property(fc.array(digitArb, { minLength: 1, maxLength: 8 }), fc.integer(), (digits, seed) => {
        let rnd = seed >>> 0;
        const next = () => {
          rnd = (Math.imul(rnd, 1664525) + 1013904223) >>> 0;
          return rnd / 2 ** 32;
        };
        let ts = 0xfffff000; // cross the 32-bit timestamp wrap
        const wire: TelephoneEventInput[] = [];
        for (const d of digits) {
          const ps = eventPackets(d.event, ts, d.updates);
          // lose some packets (never all of them), duplicate some, swap neighbours
          let kept = ps.filter(() => next() > 0.3);
          if (kept.length === 0) kept = [ps[Math.floor(next() * ps.length)] as TelephoneEventInput];
          const mangled: TelephoneEventInput[] = [];
          for (const p of kept) {
            mangled.push(p);
            if (next() < 0.2) mangled.push({ ...p });
          }
          for (let i = 1; i < mangled.length; i++) {
            if (next() < 0.3)
              [mangled[i - 1], mangled[i]] = [
                mangled[i] as TelephoneEventInput,
                mangled[i - 1] as TelephoneEventInput,
              ];
          }
          wire.push(...mangled);
          // a straggler from this digit shows up after the next one started
          if (next() < 0.3) wire.push({ ...(ps.at(-1) as TelephoneEventInput) });
          ts = (ts + d.updates * 400 + 640 + d.gap) >>> 0;
        }
        const r = new TelephoneEventReceiver();
        const ev = feed(r, wire);
        ev.push(...r.poll(1e9));
        expect(ev.map((e) => e.type)).toEqual(digits.flatMap(() => ['begin', 'end']));
        expect(ev.filter((e) => e.type === 'end').map((e) => e.event)).toEqual(digits.map((d) => d.event));
      }),
      { numRuns: 300 },
    );
  });
});
