/**
 * Offer/answer invariants over generated offers and local capabilities:
 * m-line count and order, codecs matched by name/rate/channels with the
 * offerer's payload types, direction rules, and agreement between the
 * offerer's and the answerer's views.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codecKey,
  codecsOf,
  createAnswer,
  createMediaDescription,
  createSessionDescription,
  type Direction,
  directionOf,
  type LocalCodec,
  type LocalDescription,
  negotiatedSession,
  parseSdp,
  processAnswer,
  SdpNegotiationError,
  sdpAttr,
  serializeSdp,
  staticPayloadTypeOf,
} from '../../src/sdp/index.js';

interface Spec {
  encodingName: string;
  clockRate: number;
  channels?: number;
}
const AUDIO_CODECS: Spec[] = [
  { encodingName: 'PCMU', clockRate: 8000 },
  { encodingName: 'PCMA', clockRate: 8000 },
  { encodingName: 'G722', clockRate: 8000 },
  { encodingName: 'G729', clockRate: 8000 },
  { encodingName: 'opus', clockRate: 48000, channels: 2 },
  { encodingName: 'iLBC', clockRate: 8000 },
  { encodingName: 'speex', clockRate: 16000 },
  { encodingName: 'CN', clockRate: 8000 },
  { encodingName: 'telephone-event', clockRate: 8000 },
  { encodingName: 'telephone-event', clockRate: 48000 },
];
const VIDEO_CODECS: Spec[] = [
  { encodingName: 'H264', clockRate: 90000 },
  { encodingName: 'VP8', clockRate: 90000 },
];
const AUX = new Set(['cn', 'telephone-event']);
const sends = (d: Direction) => d === 'sendrecv' || d === 'sendonly';
const receives = (d: Direction) => d === 'sendrecv' || d === 'recvonly';
const direction = fc.constantFrom<Direction>('sendrecv', 'sendonly', 'recvonly', 'inactive');

const offeredMedia = fc
  .record({
    video: fc.boolean(),
    port: fc.oneof(fc.constant(0), fc.integer({ min: 1024, max: 65534 })),
    picks: fc.uniqueArray(fc.integer({ min: 0, max: AUDIO_CODECS.length - 1 }), {
      minLength: 1,
      maxLength: 6,
    }),
    pts: fc.uniqueArray(fc.integer({ min: 96, max: 127 }), { minLength: 10, maxLength: 10 }),
    useStatic: fc.boolean(),
    upper: fc.boolean(),
    dir: fc.option(direction, { nil: undefined }),
    mux: fc.boolean(),
  })
  .map(({ video, port, picks, pts, useStatic, upper, dir, mux }) => {
    const specs = video ? VIDEO_CODECS.slice(0, 1 + (picks[0]! % 2)) : picks.map((i) => AUDIO_CODECS[i]!);
    const codecs = specs.map((s, i) => {
      const st = staticPayloadTypeOf(s.encodingName, s.clockRate, s.channels ?? 1);
      return {
        payloadType: useStatic && st !== undefined ? st : pts[i]!,
        encodingName: upper ? s.encodingName.toUpperCase() : s.encodingName,
        clockRate: s.clockRate,
        channels: s.channels,
      };
    });
    const attributes = [];
    if (dir) attributes.push(sdpAttr.direction(dir));
    if (mux) attributes.push(sdpAttr.rtcpMux());
    return createMediaDescription({ type: video ? 'video' : 'audio', port, codecs, attributes });
  });

const offerArb = fc
  .array(offeredMedia, { minLength: 1, maxLength: 3 })
  .map((media) => parseSdp(serializeSdp(createSessionDescription({ address: '198.51.100.7', media }))));

const localArb = fc
  .record({
    picks: fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }),
    te: fc.boolean(),
    dir: direction,
    mux: fc.boolean(),
  })
  .map(
    ({ picks, te, dir, mux }): LocalDescription => ({
      address: '192.0.2.100',
      media: [
        {
          port: 30000,
          codecs: picks.map((i): LocalCodec => ({ ...AUDIO_CODECS[i]! })),
          telephoneEvent: te,
          direction: dir,
          rtcpMux: mux,
        },
      ],
    }),
  );

describe('offer/answer properties', () => {
  it('answers keep the offer shape, the offerer numbers and the RFC 3264 rules', () => {
    const outcomes = { refused: 0, accepted: 0, teNegotiated: 0 };
    fc.assert(
      fc.property(offerArb, localArb, (offer, local) => {
        const localKeys = new Set(local.media[0]!.codecs.map((c) => codecKey(c)));
        // which m-line should be accepted: the first active audio one with a common real codec
        let expectAccepted = -1;
        offer.media.forEach((m, i) => {
          if (expectAccepted >= 0 || m.port === 0 || m.type !== 'audio') return;
          const common = codecsOf(m).some(
            (c) => !AUX.has(c.encodingName.toLowerCase()) && localKeys.has(codecKey(c)),
          );
          if (common) expectAccepted = i;
        });

        let answer: ReturnType<typeof createAnswer>;
        try {
          answer = createAnswer(offer, local);
        } catch (e) {
          expect(e).toBeInstanceOf(SdpNegotiationError);
          expect(expectAccepted).toBe(-1);
          expect(offer.media.some((m) => m.port !== 0)).toBe(true);
          outcomes.refused++;
          return;
        }
        expect(parseSdp(serializeSdp(answer))).toEqual(answer);
        expect(answer.media.map((m) => m.type)).toEqual(offer.media.map((m) => m.type));
        expect(answer.media.map((m, i) => (m.port !== 0 ? i : -1)).filter((i) => i >= 0)).toEqual(
          expectAccepted >= 0 ? [expectAccepted] : [],
        );

        answer.media.forEach((am, i) => {
          const om = offer.media[i]!;
          if (am.port === 0) return;
          const offered = new Map(codecsOf(om).map((c) => [c.payloadType, codecKey(c)]));
          const answered = codecsOf(am);
          expect(answered.length).toBe(am.formats.length);
          for (const c of answered) {
            expect(offered.get(c.payloadType)).toBe(codecKey(c)); // same number, same codec
            expect(localKeys.has(codecKey(c)) || c.encodingName.toLowerCase() === 'telephone-event').toBe(
              true,
            );
          }
          expect(answered.some((c) => !AUX.has(c.encodingName.toLowerCase()))).toBe(true);
          // RFC 3264 §6.1: send only what the offerer receives, receive only what it sends, within our own wish
          const [od, ad, ld] = [directionOf(om, offer), directionOf(am, answer), local.media[0]!.direction!];
          expect(sends(ad)).toBe(receives(od) && sends(ld));
          expect(receives(ad)).toBe(sends(od) && receives(ld));
          const muxOffered = om.attributes.some((a) => a.kind === 'rtcp-mux');
          expect(am.attributes.some((a) => a.kind === 'rtcp-mux')).toBe(
            muxOffered && local.media[0]!.rtcpMux === true,
          );
        });

        // both views agree on what is sent and received
        const atOfferer = processAnswer(offer, answer);
        const atAnswerer = negotiatedSession(offer, answer, 'answerer');
        atOfferer.streams.forEach((s, i) => {
          const t = atAnswerer.streams[i]!;
          expect(s.accepted).toBe(answer.media[i]!.port !== 0);
          expect(t.accepted).toBe(s.accepted);
          if (!s.accepted) return;
          expect(s.codec!.payloadType).toBe(t.codec!.receivePayloadType);
          expect(t.codec!.payloadType).toBe(s.codec!.receivePayloadType);
          expect([s.remotePort, t.remotePort]).toEqual([30000, offer.media[i]!.port]);
          expect(s.telephoneEvent?.payloadType).toBe(t.telephoneEvent?.receivePayloadType);
          outcomes.accepted++;
          if (s.telephoneEvent) outcomes.teNegotiated++;
          expect(s.rtcpMux).toBe(t.rtcpMux);
          // whatever one side sends, the other receives
          if (sends(s.direction)) expect(receives(t.direction)).toBe(true);
          if (sends(t.direction)) expect(receives(s.direction)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
    // the generators reach every outcome
    expect(outcomes.refused).toBeGreaterThan(25);
    expect(outcomes.accepted).toBeGreaterThan(100);
    expect(outcomes.teNegotiated).toBeGreaterThan(25);
  });
});
