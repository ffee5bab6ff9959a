import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSdp, SdpParseError, serializeSdp } from '../../src/sdp/index.js';
import { sessionDescription } from './arbitraries.js';
import { FIXTURES } from './fixtures.js';

/** Parses, or returns the SdpParseError; anything else thrown fails the property. */
function tryParse(s: string): ReturnType<typeof parseSdp> | SdpParseError {
  try {
    return parseSdp(s);
  } catch (e) {
    if (e instanceof SdpParseError && e.code === 'ERR_SDP_PARSE') return e;
    throw e;
  }
}

/** SDP-shaped garbage: lines of a known or unknown type with values cut from real offers and random text. */
const FRAGMENTS = Object.values(FIXTURES)
  .flatMap((t) => t.split('\r\n'))
  .filter((l) => l.length > 2)
  .map((l) => l.slice(2));
const junkLine = fc.oneof(
  fc
    .tuple(fc.constantFrom(...'vosiuepcbtrzkamxy'.split('')), fc.constantFrom(...FRAGMENTS))
    .map(([t, v]) => `${t}=${v}`),
  fc
    .tuple(fc.constantFrom(...'vosiuepcbtrzkam'.split('')), fc.string({ maxLength: 30 }))
    .map(([t, v]) => `${t}=${v}`),
  fc
    .constantFrom(...FRAGMENTS)
    .map(
      (v) =>
        `a=${v.replace(/^[^:]*:/, `${['rtpmap', 'fmtp', 'candidate', 'crypto', 'ssrc', 'extmap', 'rtcp', 'rtcp-fb'][v.length % 8]}:`)}`,
    ),
  fc.string({ maxLength: 20 }),
);
const junkSdp = fc
  .tuple(fc.boolean(), fc.array(junkLine, { maxLength: 25 }), fc.constantFrom('\r\n', '\n'))
  .map(([head, lines, eol]) =>
    (head ? ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', ...lines] : lines).join(eol),
  );

describe('SDP properties', () => {
  it('parseSdp(serializeSdp(x)) equals x for generated descriptions', () => {
    fc.assert(
      fc.property(sessionDescription, (d) => {
        const text = serializeSdp(d);
        expect(parseSdp(text)).toEqual(d);
        expect(serializeSdp(parseSdp(text))).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  it('the same through LF line ends', () => {
    fc.assert(
      fc.property(sessionDescription, (d) => {
        expect(parseSdp(serializeSdp(d).replaceAll('\r\n', '\n'))).toEqual(d);
      }),
      { numRuns: 100 },
    );
  });

  it('arbitrary strings either parse or throw SdpParseError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (s) => {
          tryParse(s);
          tryParse(`v=0\r\n${s}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('SDP-shaped garbage either parses or throws SdpParseError, and what parses round-trips', () => {
    let parsed = 0;
    fc.assert(
      fc.property(junkSdp, (s) => {
        const r = tryParse(s);
        if (r instanceof SdpParseError) {
          expect(r.line).toBeGreaterThanOrEqual(1);
          return;
        }
        parsed++;
        const text = serializeSdp(r);
        expect(parseSdp(text)).toEqual(r);
        expect(serializeSdp(parseSdp(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
    expect(parsed).toBeGreaterThan(20);
  });

  it('every line of a real offer can be mutated without a crash', () => {
    for (const text of Object.values(FIXTURES)) {
      const lines = text.split('\r\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        for (const cut of [1, 2, 3, Math.floor(l.length / 2), l.length - 1]) {
          const variants = [
            l.slice(0, cut),
            `${l.slice(0, cut)} ${l.slice(cut)}`,
            `${l.slice(0, cut)}/${l.slice(cut)}`,
          ];
          for (const v of variants) tryParse([...lines.slice(0, i), v, ...lines.slice(i + 1)].join('\r\n'));
        }
      }
    }
  });
});
