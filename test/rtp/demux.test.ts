import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demuxPacket, isRtcpPacketType, RtcpReceiverReport, RtpPacket } from '../../src/rtp/index.js';

describe('demuxPacket (RFC 7983 first byte, RFC 5761 second byte)', () => {
  it('classifies each first-byte range', () => {
    const cases: Array<[number, string]> = [
      [0, 'stun'],
      [1, 'stun'],
      [3, 'stun'],
      [4, 'unknown'],
      [15, 'unknown'],
      [16, 'zrtp'],
      [19, 'zrtp'],
      [20, 'dtls'],
      [22, 'dtls'], // a DTLS handshake record
      [63, 'dtls'],
      [64, 'turn-channel'],
      [79, 'turn-channel'],
      [80, 'unknown'],
      [127, 'unknown'],
      [192, 'unknown'],
      [255, 'unknown'],
    ];
    for (const [b0, kind] of cases)
      expect(demuxPacket(new Uint8Array([b0, 0, 0, 0])), `first byte ${b0}`).toBe(kind);
  });

  it('splits RTP from RTCP on packet types 192..223 (rtcp-mux)', () => {
    const rr = new RtcpReceiverReport({ ssrc: 1 }).serialize();
    expect(demuxPacket(rr)).toBe('rtcp');
    for (const pt of [0, 8, 9, 63, 96, 101, 111, 127]) {
      const rtp = new RtpPacket({
        payloadType: pt,
        sequenceNumber: 1,
        timestamp: 1,
        ssrc: 1,
        marker: true,
      }).serialize();
      expect(demuxPacket(rtp), `PT ${pt} with marker`).toBe('rtp');
    }
    // PT 64..95 with the marker bit set is exactly the RTCP range: RFC 5761 forbids those payload types
    expect(demuxPacket(new Uint8Array([0x80, 0x80 | 72]))).toBe('rtcp');
    expect(demuxPacket(new Uint8Array([0x80, 72]))).toBe('rtp');
    expect(isRtcpPacketType(191)).toBe(false);
    expect(isRtcpPacketType(192)).toBe(true);
    expect(isRtcpPacketType(223)).toBe(true);
    expect(isRtcpPacketType(224)).toBe(false);
  });

  it('never throws, whatever the bytes', () => {
    expect(demuxPacket(new Uint8Array(0))).toBe('unknown');
    expect(demuxPacket(new Uint8Array([0x80]))).toBe('unknown');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (b) => {
        expect(['stun', 'zrtp', 'dtls', 'turn-channel', 'rtp', 'rtcp', 'unknown']).toContain(demuxPacket(b));
      }),
    );
  });
});
