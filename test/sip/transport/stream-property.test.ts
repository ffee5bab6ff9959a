/**
 * Properties of the stream connection logic, with the bytes fed in memory
 * through a StreamTransport subclass whose wire records what is written (the
 * connection logic under test is the real one; only the socket is replaced):
 * whatever the chunk boundaries, every message arrives once and in order,
 * every ping gets one pong, and a lost framing delivers the messages before
 * it, hands up the broken header section once, and ends the connection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/index.js';
import { type Endpoint, StreamTransport } from '../../../src/sip/index.js';
import type { Connection, Wire } from '../../../src/sip/transport/stream.js';
import { rawOptions } from './helpers.js';

class MemoryStream extends StreamTransport {
  readonly written: string[] = [];
  ended = 0;

  constructor() {
    super({
      protocol: 'TCP',
      secure: false,
      local: { address: '127.0.0.1', port: 5060 },
      advertisedHost: '127.0.0.1',
      options: { clock: new FakeClock(), maxMessageSize: 4000 },
      messageOriented: false,
    });
  }

  open(remote: Endpoint): Connection {
    const wire: Wire = {
      write: (data, _text, cb) => {
        this.written.push(Buffer.from(data).toString('latin1'));
        cb();
      },
      end: () => {
        this.ended++;
      },
      destroy: () => {},
    };
    return this._adopt(wire, remote, this.local, false);
  }

  feed(c: Connection, chunk: Uint8Array): void {
    this._data(c, chunk);
  }

  protected _dial(): Promise<Connection> {
    return Promise.reject(new Error('not in memory'));
  }

  protected _closeListeners(): Promise<void> {
    return Promise.resolve();
  }
}

/** Cuts `bytes` at the given fractions. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((f) => Math.floor(f * bytes.length)))]
    .filter((x) => x > 0 && x < bytes.length)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const x of at) {
    out.push(bytes.subarray(prev, x));
    prev = x;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const item = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .string({ maxLength: 300 })
      .map((body) => ({ kind: 'msg' as const, text: '', body: body.replace(/[^ -~]/g, 'x') })),
  },
  // between messages: RFC 5626 pings, pongs and stray line ends
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('\r\n\r\n', '\r\n', '\r', '\n')
      .map((text) => ({ kind: 'crlf' as const, text, body: '' })),
  },
);

/** Pings a CR/LF run holds, read left to right. */
const pingsIn = (run: string) => run.split('\r\n\r\n').length - 1;

const BAD_HEAD = rawOptions('192.0.2.1:5060', 'broken').replace('Content-Length: 0', 'Content-Length: -5');

describe('stream connection logic (property)', () => {
  it('delivers every message once and in order and pongs every ping, whatever the segmentation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { minLength: 1, maxLength: 12 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
        fc.boolean(),
        async (items, cuts, broken) => {
          const t = new MemoryStream();
          const got: string[] = [];
          t.on('message', (d) => got.push(Buffer.from(d).toString('latin1')));
          const c = t.open({ address: '192.0.2.9', port: 40000 });
          const wire = items.map((it, i) =>
            it.kind === 'crlf' ? it.text : rawOptions('192.0.2.9:5060', `m${i}`, 'TCP', it.body),
          );
          const stream =
            wire.join('') + (broken ? `${BAD_HEAD}${rawOptions('192.0.2.9:5060', 'after')}` : '');
          for (const chunk of chunks(Buffer.from(stream, 'latin1'), cuts)) t.feed(c, chunk);
          await new Promise((r) => setImmediate(r));
          const expected = wire.filter((_, i) => items[i]?.kind === 'msg');
          if (broken) expected.push(BAD_HEAD.slice(0, BAD_HEAD.indexOf('\r\n\r\n') + 4));
          expect(got).toEqual(expected);
          // the CR/LF runs between messages, each read for pings on its own
          const runs = wire
            .join('\u0000')
            .split(/\u0000?O[^\u0000]*\u0000?/)
            .join('|');
          const pongs = runs.split('|').reduce((n, run) => n + pingsIn(run.replaceAll('\u0000', '')), 0);
          expect(t.written).toEqual(new Array(pongs).fill('\r\n'));
          expect(t.ended).toBe(broken ? 1 : 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
