/**
 * Telling apart what arrives on one UDP port: STUN, ZRTP, DTLS, TURN channel
 * data, RTP and RTCP (rtcp-mux).
 *
 * RFC 7983 §7 (https://www.rfc-editor.org/rfc/rfc7983#section-7) splits on the
 * first byte:
 *
 *                  +----------------+
 *                  |        [0..3] -+--> STUN
 *                  |      [16..19] -+--> ZRTP
 *      packet -->  |      [20..63] -+--> DTLS
 *                  |      [64..79] -+--> TURN channel
 *                  |    [128..191] -+--> RTP/RTCP
 *                  +----------------+
 *
 * RFC 5761 §4 (https://www.rfc-editor.org/rfc/rfc5761#section-4) then splits
 * RTP from RTCP on the second byte: RTCP packet types 192..223 occupy the
 * values that would be RTP payload types 64..95 with the marker bit set, so
 * those payload types must not be used with rtcp-mux.
 */

export type DemuxResult = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp' | 'rtcp' | 'unknown';

/** Classifies one datagram by its first two bytes; never allocates, never throws. */
export function demuxPacket(bytes: Uint8Array): DemuxResult {
  if (bytes.length === 0) return 'unknown';
  const b0 = bytes[0] as number;
  if (b0 <= 3) return 'stun';
  if (b0 >= 16 && b0 <= 19) return 'zrtp';
  if (b0 >= 20 && b0 <= 63) return 'dtls';
  if (b0 >= 64 && b0 <= 79) return 'turn-channel';
  if (b0 >= 128 && b0 <= 191) {
    if (bytes.length < 2) return 'unknown';
    return isRtcpPacketType(bytes[1] as number) ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}

/** True when the second byte of an RTP/RTCP datagram marks RTCP (RFC 5761 §4: 192..223). */
export function isRtcpPacketType(secondByte: number): boolean {
  return secondByte >= 192 && secondByte <= 223;
}
