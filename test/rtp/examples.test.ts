/** The flows docs/rtp.md shows, run end to end through real bytes. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/index.js';
import {
  type DigitEvent,
  demuxPacket,
  estimateQuality,
  parseRtcp,
  RtcpBye,
  RtcpCompound,
  RtcpReceiverReport,
  RtcpSourceDescription,
  RtpPacket,
  RtpReader,
  RtpReceiverStatistics,
  rewriteRtpHeader,
  SdesItemType,
  TelephoneEvent,
  TelephoneEventReceiver,
  TelephoneEventSender,
  telephoneEventCode,
} from '../../src/rtp/index.js';

describe('docs/rtp.md examples', () => {
  it('relays PCMU with rewritten SSRC/seq/ts and reports on what arrived', () => {
    const clock = new FakeClock();
    const reader = new RtpReader();
    const stats = new RtpReceiverStatistics({ ssrc: 0xaaaa, clockRate: 8000 });
    const out: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      if (i === 20) continue; // one packet lost on the way in
      const msg = new RtpPacket({
        payloadType: 0,
        sequenceNumber: (65530 + i) & 0xffff,
        timestamp: i * 160,
        ssrc: 0xaaaa,
        payload: new Uint8Array(160),
      }).serialize();
      clock.advance(20);
      reader.wrap(msg);
      stats.receive(reader.sequenceNumber, reader.timestamp, clock.now());
      rewriteRtpHeader(msg, 0xbbbb, (reader.sequenceNumber + 1000) & 0xffff, (reader.timestamp + 8000) >>> 0);
      out.push(msg);
    }
    const last = new RtpReader().wrap(out.at(-1) as Uint8Array);
    expect([last.ssrc, last.sequenceNumber, last.timestamp]).toEqual([
      0xbbbb,
      (65530 + 49 + 1000) & 0xffff,
      49 * 160 + 8000,
    ]);

    const rtcp = new RtcpCompound([
      new RtcpReceiverReport({ ssrc: 0xbbbb, reports: [stats.reportBlock(clock.now())] }),
      new RtcpSourceDescription({
        chunks: [{ ssrc: 0xbbbb, items: [{ type: SdesItemType.CNAME, value: 'relay@strowger' }] }],
      }),
      new RtcpBye({ ssrcs: [0xbbbb], reason: 'call ended' }),
    ]).serialize();
    expect(demuxPacket(rtcp)).toBe('rtcp');
    const [rr] = parseRtcp(rtcp, { strict: true }) as [RtcpReceiverReport];
    expect(rr.reports[0]?.packetsLost).toBe(1);
    expect(rr.reports[0]?.fractionLost).toBe(Math.floor(256 / 49));
    const q = estimateQuality({ codec: 'pcmu', lossPercent: (100 * 1) / 49, oneWayDelayMs: 60 });
    expect(q.mos).toBeGreaterThan(4);
  });

  it('sends a DTMF digit as RTP and receives it once', () => {
    const clock = new FakeClock();
    const tx = new TelephoneEventSender();
    const rx = new TelephoneEventReceiver();
    const reader = new RtpReader();
    const heard: DigitEvent[] = [];
    let seq = 100;
    const send = (descs: ReturnType<TelephoneEventSender['poll']>) => {
      for (const d of descs) {
        const bytes = new RtpPacket({
          payloadType: 101,
          sequenceNumber: seq++,
          timestamp: d.timestamp,
          ssrc: 1,
          marker: d.marker,
          payload: new TelephoneEvent(d).serialize(),
        }).serialize();
        reader.wrap(bytes);
        const ev = TelephoneEvent.parse(reader.payload);
        heard.push(...rx.receive({ timestamp: reader.timestamp, ...ev }, clock.now()));
      }
    };
    send(tx.start(telephoneEventCode('5') as number, 16_000, clock.now()));
    for (let t = 0; t < 200; t += 10) {
      clock.advance(10);
      send(tx.poll(clock.now()));
    }
    send(tx.stop(clock.now()));
    while (tx.busy) {
      clock.advance(10);
      send(tx.poll(clock.now()));
    }
    heard.push(...rx.poll(clock.now()));
    expect(heard.map((d) => [d.type, d.digit, d.complete])).toEqual([
      ['begin', '5', false],
      ['end', '5', true],
    ]);
    expect(heard[1]?.duration).toBe(200 * 8);
    expect(seq).toBe(100 + 1 + 4 + 3); // start, updates at 50/100/150/200 ms, three ends
  });
});
