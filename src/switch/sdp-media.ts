/**
 * SDP glue of the anchored media: the capabilities we offer and answer with (our
 * endpoint's address and port, the configured codecs in order of preference, RFC 4733
 * telephone-event), and the negotiated stream that configures an engine endpoint.
 */
import type { Random } from '../core/index.js';
import { codecs as codecRegistry } from '../media/codecs/index.js';
import type { LocalAddress } from '../media/worker/index.js';
import {
  createAnswer,
  createOffer,
  type Direction,
  type LocalCodec,
  type LocalDescription,
  type NegotiatedCodec,
  type NegotiatedSession,
  type NegotiatedStream,
  negotiatedSession,
  parseSdp,
  processAnswer,
  type SessionDescription,
  serializeSdp,
} from '../sdp/index.js';

/** The SDP form of a codec of the registry (`PCMU` → PCMU/8000, `opus` → opus/48000/2). */
export function localCodec(name: string): LocalCodec | undefined {
  const f = codecRegistry.get(name);
  if (!f) return undefined;
  if (f.name.toLowerCase() === 'opus')
    return { encodingName: f.name, clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' };
  return {
    encodingName: f.name,
    clockRate: f.clockRate,
    ...(f.staticPayloadType === undefined ? {} : { payloadType: f.staticPayloadType }),
  };
}

/** The configured codec names as SDP capabilities, unknown names left out. */
export function localCodecs(names: readonly string[]): LocalCodec[] {
  const out: LocalCodec[] = [];
  for (const n of names) {
    const c = localCodec(n);
    if (c && !out.some((o) => sameCodec(o, c))) out.push(c);
  }
  return out;
}

function sameCodec(
  a: { encodingName: string; clockRate: number },
  b: { encodingName: string; clockRate: number },
) {
  return a.encodingName.toLowerCase() === b.encodingName.toLowerCase() && a.clockRate === b.clockRate;
}

/** `codecs` with `first` (the other leg's codec) moved to the front, so the far end can pick it and the call is relayed. */
export function preferring(codecs: readonly LocalCodec[], first: NegotiatedCodec | undefined): LocalCodec[] {
  if (!first) return [...codecs];
  const hit = codecs.find((c) => sameCodec(c, first));
  return hit ? [hit, ...codecs.filter((c) => c !== hit)] : [...codecs];
}

/** Our side of one audio stream on an engine endpoint. */
export function localDescription(
  local: LocalAddress,
  codecs: readonly LocalCodec[],
  ptimeMs: number,
  direction: Direction = 'sendrecv',
): LocalDescription {
  return {
    address: local.address,
    username: 'strowger',
    media: [
      {
        port: local.rtpPort,
        codecs: [...codecs],
        telephoneEvent: true,
        ptime: ptimeMs,
        direction,
      },
    ],
  };
}

/** The first accepted audio stream of a negotiation. */
export function firstAudio(session: NegotiatedSession): NegotiatedStream | undefined {
  return session.streams.find((s) => s.accepted && s.type === 'audio' && s.codec !== undefined);
}

/** An answer to `offerText` from our capabilities: one codec (plus telephone-event) so the peer sends what we decode. */
export function answerOffer(
  offerText: string,
  local: LocalDescription,
  options: { previous?: SessionDescription; random?: Random } = {},
): { answer: string; stream: NegotiatedStream | undefined; offer: SessionDescription } {
  const offer = parseSdp(offerText, { lenientAttributes: true });
  const answer = createAnswer(offer, local, { singleCodec: true, ...options });
  const stream = firstAudio(negotiatedSession(offer, answer, 'answerer'));
  return { answer: serializeSdp(answer), stream, offer };
}

/** Our offer from capabilities. */
export function makeOffer(
  local: LocalDescription,
  options: { previous?: SessionDescription; random?: Random } = {},
): { text: string; description: SessionDescription } {
  const description = createOffer(local, options);
  return { text: serializeSdp(description), description };
}

/** The offerer's view of the answer the peer gave to our offer. */
export function answeredStream(offer: SessionDescription, answerText: string): NegotiatedStream | undefined {
  return firstAudio(processAnswer(offer, parseSdp(answerText, { lenientAttributes: true })));
}
