import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FramerOutput, parseMessage, SipParseError, SipStreamFramer } from '../../src/sip/index.js';

const DIR = join(__dirname, '..', 'fixtures', 'sip', 'rfc4475');
const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));

/**
 * The valid RFC 4475 messages whose framing is defined on a stream: they
 * parse and their Content-Length covers exactly the bytes after the blank
 * line. (inv2543 has no Content-Length — on a stream its body would be read
 * as the next message; dblreq carries trailing octets that RFC 4475 sends
 * only over UDP.)
 */
function streamableTortureMessages(): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for (const f of readdirSync(DIR).sort()) {
    const bytes = readFileSync(join(DIR, f));
    let m: ReturnType<typeof parseMessage>;
    try {
      m = parseMessage(bytes);
    } catch {
      continue;
    }
    const headEnd = bytes.indexOf('\r\n\r\n') + 4;
    if (m.contentLength === undefined || headEnd + m.contentLength !== bytes.length) continue;
    out.push({ name: f, bytes });
  }
  return out;
}

function messagesOf(outputs: FramerOutput[]): Uint8Array[] {
  return outputs.filter((o) => o.type === 'message').map((o) => (o as { data: Uint8Array }).data);
}

describe('SipStreamFramer', () => {
  const corpus = streamableTortureMessages();

  it('uses a substantial part of the torture corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(corpus.map((c) => c.name)).toContain('wsinv.dat');
    expect(corpus.map((c) => c.name)).toContain('longreq.dat');
  });

  it('all streamable RFC 4475 messages concatenated and fed in random chunks come out as the same messages', () => {
    const all = Buffer.concat(corpus.map((c) => c.bytes));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 64 }), (sizes) => {
        const framer = new SipStreamFramer();
        const out: Uint8Array[] = [];
        let pos = 0;
        let i = 0;
        while (pos < all.length) {
          const n = sizes[i++ % sizes.length] as number;
          out.push(...messagesOf(framer.push(all.subarray(pos, pos + n))));
          pos += n;
        }
        expect(out.length).toBe(corpus.length);
        for (const [k, m] of out.entries()) expect(Buffer.from(m).equals(corpus[k]!.bytes)).toBe(true);
        expect(framer.idle).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('several messages in one chunk, and a message split byte by byte', () => {
    const a = corpus[0]!.bytes;
    const b = corpus[1]!.bytes;
    const framer = new SipStreamFramer();
    expect(messagesOf(framer.push(Buffer.concat([a, b, a])))).toHaveLength(3);
    const slow = new SipStreamFramer();
    const got: Uint8Array[] = [];
    for (const byte of b) got.push(...messagesOf(slow.push(Uint8Array.of(byte))));
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]!).equals(b)).toBe(true);
  });

  it('reports CRLF keep-alives between messages: CRLFCRLF ping, CRLF pong', () => {
    const framer = new SipStreamFramer();
    const a = corpus[0]!.bytes;
    const out = framer.push(Buffer.concat([Buffer.from('\r\n\r\n'), a, Buffer.from('\r\n'), a]));
    expect(out.map((o) => (o.type === 'keepalive' ? o.kind : 'message'))).toEqual([
      'ping',
      'message',
      'pong',
      'message',
    ]);
    // a ping split over two chunks is still one ping
    const f2 = new SipStreamFramer();
    expect(f2.push(Buffer.from('\r\n'))).toEqual([]);
    expect(f2.push(Buffer.from('\r\n'))).toEqual([{ type: 'keepalive', kind: 'ping' }]);
  });

  it('a message without Content-Length has an empty body on a stream', () => {
    const framer = new SipStreamFramer();
    const msg = crlf(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'Call-ID: x', '', '']);
    expect(messagesOf(framer.push(msg))).toHaveLength(1);
  });

  it('waits for the rest of a body that has not arrived (RFC 4475 clerr on a stream)', () => {
    const framer = new SipStreamFramer();
    const clerr = readFileSync(join(DIR, 'clerr.dat'));
    expect(messagesOf(framer.push(clerr))).toHaveLength(0);
    expect(framer.idle).toBe(false);
    expect(framer.buffered).toBe(clerr.length);
  });

  it('loses framing on a negative, malformed or duplicated Content-Length (RFC 4475 ncl, mcl01)', () => {
    for (const name of ['ncl.dat', 'mcl01.dat']) {
      const framer = new SipStreamFramer();
      expect(() => framer.push(readFileSync(join(DIR, name)))).toThrow(SipParseError);
    }
    const framer = new SipStreamFramer();
    expect(() => framer.push(crlf(['INVITE sip:a@b SIP/2.0', 'l: 12abc', '', '']))).toThrow(/Content-Length/);
  });

  it('refuses a message larger than the limit, and a header section that never ends', () => {
    const framer = new SipStreamFramer({ maxMessageSize: 1000 });
    expect(() => framer.push(crlf(['INVITE sip:a@b SIP/2.0', 'Content-Length: 5000', '', '']))).toThrow(
      SipParseError,
    );
    const endless = new SipStreamFramer({ maxMessageSize: 1000 });
    expect(() => {
      for (let i = 0; i < 50; i++)
        endless.push(Buffer.from('X-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'));
    }).toThrow(/exceeds/);
  });

  it('scans each byte once: a large message in tiny chunks costs about as much as in one', () => {
    const big = crlf([
      'MESSAGE sip:a@b SIP/2.0',
      ...Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(100)}`),
      'Content-Length: 0',
      '',
      '',
    ]);
    const framer = new SipStreamFramer();
    let n = 0;
    for (let i = 0; i < big.length; i += 7) n += messagesOf(framer.push(big.subarray(i, i + 7))).length;
    expect(n).toBe(1);
  });
});

describe('SipStreamFramer keep-alives fed one byte at a time', () => {
  it('CRLFCRLF CRLFCRLF byte by byte is two pings and never reads past its data', () => {
    const framer = new SipStreamFramer();
    const kinds: string[] = [];
    for (const byte of Buffer.from('\r\n\r\n\r\n\r\n')) {
      for (const o of framer.push(Uint8Array.of(byte))) if (o.type === 'keepalive') kinds.push(o.kind);
      expect(framer.buffered).toBeGreaterThanOrEqual(0);
    }
    expect(kinds).toEqual(['ping', 'ping']);
    expect(framer.idle).toBe(true);
  });

  it('a lone CR held at the end is not misread from stale buffer bytes', () => {
    const framer = new SipStreamFramer();
    // leave stale "\n\r\n" bytes in the buffer behind the live data, then feed a single CR
    framer.push(Buffer.from('\r\n\r\n'));
    expect(framer.push(Buffer.from('\r'))).toEqual([]);
    expect(framer.buffered).toBe(1);
    expect(framer.push(Buffer.from('\n'))).toEqual([]);
    expect(framer.push(Buffer.from('OPTIONS'))).toEqual([{ type: 'keepalive', kind: 'pong' }]);
  });
});
