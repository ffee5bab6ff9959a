/**
 * The LocationStore contract, one suite run against every implementation
 * (today the in-memory one; a Redis or SQL store joins the list), plus a
 * registrar invariant property over random REGISTER sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import {
  type Binding,
  type LocationStore,
  MemoryLocationStore,
  Registrar,
} from '../../../src/sip/ua/index.js';
import { request, wire } from './helpers.js';

function binding(aor: string, key: string, expiresAt: number, extra: Partial<Binding> = {}): Binding {
  return {
    aor,
    key,
    uri: `sip:${key}@192.0.2.1`,
    params: [['+sip.instance', '"<urn:uuid:1>"']],
    q: undefined,
    expiresAt,
    updatedAt: 0,
    callId: 'c',
    cseq: 1,
    path: [],
    instanceId: undefined,
    regId: undefined,
    source: undefined,
    userAgent: undefined,
    ...extra,
  };
}

const IMPLEMENTATIONS: Array<[string, (clock: FakeClock) => LocationStore]> = [
  ['MemoryLocationStore', (clock) => new MemoryLocationStore({ clock })],
];

for (const [name, make] of IMPLEMENTATIONS) {
  describe(`LocationStore contract: ${name}`, () => {
    const setup = () => {
      const clock = new FakeClock();
      return { clock, store: make(clock), t0: clock.wallTime() };
    };

    it('knows nothing of an AOR it was never told about', async () => {
      const { store } = setup();
      expect(await store.get('sip:nobody@example.com')).toEqual([]);
      expect(await store.aors()).toEqual([]);
    });

    it('upserts by key, removes by key, in one atomic change per AOR', async () => {
      const { store, t0 } = setup();
      const a = 'sip:a@example.com';
      await store.update(a, { upsert: [binding(a, 'k1', t0 + 1000), binding(a, 'k2', t0 + 1000)] });
      await store.update(a, { upsert: [binding(a, 'k1', t0 + 5000, { cseq: 2 })], remove: ['k2'] });
      const got = await store.get(a);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ key: 'k1', cseq: 2, expiresAt: t0 + 5000 });
      expect(await store.get('sip:b@example.com')).toEqual([]);
    });

    it('never returns a lapsed binding, and expire() purges and reports exactly those', async () => {
      const { store, clock, t0 } = setup();
      const a = 'sip:a@example.com';
      const b = 'sip:b@example.com';
      await store.update(a, { upsert: [binding(a, 'short', t0 + 1000), binding(a, 'long', t0 + 9000)] });
      await store.update(b, { upsert: [binding(b, 'short', t0 + 1000)] });
      clock.advance(1000);
      expect((await store.get(a)).map((x) => x.key)).toEqual(['long']);
      const gone = await store.expire();
      expect(gone.map((x) => `${x.aor} ${x.key}`).sort()).toEqual(['sip:b@example.com short']);
      expect(await store.aors()).toEqual([a]);
    });

    it('removeAll clears an AOR and says how many it held', async () => {
      const { store, t0 } = setup();
      const a = 'sip:a@example.com';
      await store.update(a, { upsert: [binding(a, 'k1', t0 + 1000), binding(a, 'k2', t0 + 1000)] });
      expect(await store.removeAll(a)).toBe(2);
      expect(await store.get(a)).toEqual([]);
      expect(await store.removeAll(a)).toBe(0);
    });

    it('stores plain data that survives JSON', async () => {
      const { store, t0 } = setup();
      const a = 'sip:a@example.com';
      const b = binding(a, 'k', t0 + 1000, {
        path: ['<sip:edge;lr>'],
        source: { transport: 'TCP', address: '192.0.2.9', port: 5060, connectionId: 'c1' },
        regId: 1,
        instanceId: '<urn:uuid:1>',
        q: 0.5,
      });
      await store.update(a, { upsert: [b] });
      const [got] = await store.get(a);
      expect(JSON.parse(JSON.stringify(got))).toEqual(JSON.parse(JSON.stringify(b)));
    });
  });
}

describe('registrar invariants over random REGISTER sequences', () => {
  it('the 200 lists exactly the live bindings, within the bounds, and refused requests change nothing', async () => {
    const op = fc.record({
      contact: fc.integer({ min: 0, max: 5 }),
      expires: fc.constantFrom(0, 30, 60, 600, 3600, 100_000),
      device: fc.integer({ min: 0, max: 2 }),
      cseqStep: fc.integer({ min: -1, max: 2 }),
      wait: fc.integer({ min: 0, max: 4000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const clock = new FakeClock();
        const registrar = new Registrar({
          store: new MemoryLocationStore({ clock }),
          clock,
          random: seededRandom(1),
          authorize: () => true,
          minExpires: 60,
          maxExpires: 3600,
          maxBindingsPerAor: 4,
        });
        const cseq = [10, 10, 10];
        for (const o of ops) {
          clock.advance(o.wait * 1000);
          cseq[o.device] = (cseq[o.device] as number) + o.cseqStep;
          const before = await registrar.lookup('sip:alice@example.com');
          const res = wire(
            await registrar.handle(
              wire(
                request({
                  callId: `device-${o.device}`,
                  cseq: cseq[o.device] as number,
                  contact: `<sip:c${o.contact}@192.0.2.1>;expires=${o.expires}`,
                }),
              ),
            ),
          );
          const after = await registrar.lookup('sip:alice@example.com');
          if (res.status !== 200) {
            expect([400, 423]).toContain(res.status);
            expect(after).toEqual(before);
            continue;
          }
          expect(res.contacts.map((c) => c.uri.toString()).sort()).toEqual(after.map((b) => b.uri).sort());
          expect(after.length).toBeLessThanOrEqual(4);
          for (const c of res.contacts) {
            const e = Number(c.params.get('expires'));
            expect(e).toBeGreaterThan(0);
            expect(e).toBeLessThanOrEqual(3600);
          }
          if (o.expires === 0) expect(after.map((b) => b.uri)).not.toContain(`sip:c${o.contact}@192.0.2.1`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
