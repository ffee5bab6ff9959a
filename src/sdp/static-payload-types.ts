/**
 * Static RTP payload types of the RTP/AVP profile (RFC 3551 §6, tables 4 and
 * 5). A format such as `0` in `m=audio 4000 RTP/AVP 0` means PCMU/8000 even
 * without an `a=rtpmap` line. G722 is registered with an RTP clock rate of
 * 8000 although it samples at 16000 (RFC 3551 §4.5.2).
 */

export interface StaticPayloadType {
  readonly payloadType: number;
  readonly encodingName: string;
  readonly clockRate: number;
  readonly channels?: number;
}

function pt(
  payloadType: number,
  encodingName: string,
  clockRate: number,
  channels?: number,
): StaticPayloadType {
  return Object.freeze(
    channels === undefined
      ? { payloadType, encodingName, clockRate }
      : { payloadType, encodingName, clockRate, channels },
  );
}

/** Payload type number → its static encoding. */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, StaticPayloadType> = new Map(
  [
    pt(0, 'PCMU', 8000, 1),
    pt(3, 'GSM', 8000, 1),
    pt(4, 'G723', 8000, 1),
    pt(5, 'DVI4', 8000, 1),
    pt(6, 'DVI4', 16000, 1),
    pt(7, 'LPC', 8000, 1),
    pt(8, 'PCMA', 8000, 1),
    pt(9, 'G722', 8000, 1),
    pt(10, 'L16', 44100, 2),
    pt(11, 'L16', 44100, 1),
    pt(12, 'QCELP', 8000, 1),
    pt(13, 'CN', 8000, 1),
    pt(14, 'MPA', 90000),
    pt(15, 'G728', 8000, 1),
    pt(16, 'DVI4', 11025, 1),
    pt(17, 'DVI4', 22050, 1),
    pt(18, 'G729', 8000, 1),
    pt(25, 'CelB', 90000),
    pt(26, 'JPEG', 90000),
    pt(28, 'nv', 90000),
    pt(31, 'H261', 90000),
    pt(32, 'MPV', 90000),
    pt(33, 'MP2T', 90000),
    pt(34, 'H263', 90000),
  ].map((p) => [p.payloadType, p]),
);

/** The static payload type for an encoding, or undefined when it has none (so it needs a dynamic one). */
export function staticPayloadTypeOf(
  encodingName: string,
  clockRate: number,
  channels = 1,
): number | undefined {
  const name = encodingName.toLowerCase();
  for (const p of STATIC_PAYLOAD_TYPES.values()) {
    if (
      p.encodingName.toLowerCase() === name &&
      p.clockRate === clockRate &&
      (p.channels ?? 1) === channels
    ) {
      return p.payloadType;
    }
  }
  return undefined;
}

/** Dynamic payload types (RFC 3551 §3): the range an offerer allocates from. */
export const DYNAMIC_PAYLOAD_TYPE_MIN = 96;
export const DYNAMIC_PAYLOAD_TYPE_MAX = 127;
