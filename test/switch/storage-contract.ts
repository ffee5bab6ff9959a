/**
 * The Storage contract: one suite, run against every implementation (storage.test.ts).
 * A PostgreSQL implementation will pass the same suite.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CallbackRecord,
  CdrInput,
  CdrQuery,
  CdrRecord,
  QueueEventInput,
  QueueEventQuery,
  QueueEventRecord,
  Storage,
} from '../../src/switch/index.js';

export type OpenStorage = () => Promise<Storage>;

const T0 = 1_760_000_000_000;

export function cdr(over: Partial<CdrInput> = {}): CdrInput {
  return {
    callId: 'call-1',
    caller: { number: '1001', name: 'Alice' },
    callee: { number: '1002' },
    direction: 'internal',
    startedAt: T0,
    answeredAt: T0 + 4_000,
    endedAt: T0 + 64_000,
    disposition: 'answered',
    hangup: { by: 'caller', status: 200, reason: 'Normal' },
    legs: [
      { id: 'a', uri: 'sip:1001@pbx', codec: 'PCMU' },
      { id: 'b', uri: 'sip:1002@pbx' },
    ],
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

async function allPages<T>(
  fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(cursor);
    pages.push(page.items);
    if (page.nextCursor === undefined) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end');
}

// What a CDR query should return, computed from the inputs in write order.
function expectedCdrs(written: CdrInput[], q: CdrQuery): string[] {
  const disp = q.disposition === undefined ? undefined : ([] as string[]).concat(q.disposition as string[]);
  const rows = written
    .map((c, seq) => ({ c, seq }))
    .filter(({ c }) => {
      const exts = c.extensions ?? [c.caller.number, c.callee.number];
      return (
        (q.from === undefined || c.startedAt >= q.from) &&
        (q.to === undefined || c.startedAt < q.to) &&
        (q.extension === undefined || exts.includes(q.extension)) &&
        (disp === undefined || disp.includes(c.disposition)) &&
        (q.direction === undefined || c.direction === q.direction) &&
        (q.queue === undefined || c.queue === q.queue) &&
        (q.agent === undefined || c.agent === q.agent)
      );
    })
    .sort((a, b) => a.c.startedAt - b.c.startedAt || a.seq - b.seq);
  if (q.order !== 'asc') rows.reverse();
  return rows.map((r) => r.c.callId);
}

const arbCdr = (i: number) =>
  fc
    .record({
      start: fc.integer({ min: 0, max: 8 }),
      ring: fc.integer({ min: 0, max: 30_000 }),
      talk: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }),
      caller: fc.constantFrom('1001', '1002', '1003', '+15551230000'),
      callee: fc.constantFrom('1001', '1002', '1004', '9196'),
      direction: fc.constantFrom('inbound', 'outbound', 'internal' as const),
      failure: fc.constantFrom('busy', 'no-answer', 'failed', 'cancelled' as const),
      queue: fc.option(fc.constantFrom('sales', 'support'), { nil: undefined }),
      agent: fc.option(fc.constantFrom('1005', '1006'), { nil: undefined }),
    })
    .map(
      (r): CdrInput => ({
        callId: `c${i}`,
        caller: { number: r.caller },
        callee: { number: r.callee },
        direction: r.direction,
        // Few distinct start times, so ties are common and paging must break them stably.
        startedAt: T0 + r.start * 1000,
        ...(r.talk === undefined ? {} : { answeredAt: T0 + r.start * 1000 + r.ring }),
        endedAt: T0 + r.start * 1000 + r.ring + (r.talk ?? 0),
        disposition: r.talk === undefined ? r.failure : 'answered',
        hangup: { by: 'caller' },
        ...(r.queue === undefined ? {} : { queue: r.queue }),
        ...(r.agent === undefined ? {} : { agent: r.agent }),
      }),
    );

const arbCdrs = fc
  .integer({ min: 0, max: 30 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbCdr(i))));

// At most two filters at once, so that most queries return several pages.
const arbCdrQuery: fc.Arbitrary<CdrQuery> = fc
  .tuple(
    fc.record({
      from: fc.integer({ min: 0, max: 12 }).map((s) => T0 + s * 1000),
      to: fc.integer({ min: 8, max: 21 }).map((s) => T0 + s * 1000),
      extension: fc.constantFrom('1001', '1002', '1004', '+15551230000', '7777'),
      disposition: fc.oneof(
        fc.constantFrom('answered', 'busy', 'no-answer' as const),
        fc.uniqueArray(fc.constantFrom('answered', 'failed', 'cancelled' as const), { minLength: 1 }),
      ),
      direction: fc.constantFrom('inbound', 'outbound', 'internal' as const),
      queue: fc.constantFrom('sales', 'support'),
      agent: fc.constantFrom('1005', '1006'),
    }),
    fc.subarray(['from', 'to', 'extension', 'disposition', 'direction', 'queue', 'agent'] as const, {
      maxLength: 2,
    }),
    fc.option(fc.constantFrom('asc', 'desc' as const), { nil: undefined }),
    fc.integer({ min: 1, max: 7 }),
  )
  .map(([values, keys, order, limit]) => {
    const q: CdrQuery = { limit };
    for (const k of keys) Object.assign(q, { [k]: values[k] });
    if (order) q.order = order;
    return q;
  });

export function storageContract(name: string, open: OpenStorage): void {
  const withStorage = async (fn: (s: Storage) => Promise<void>) => {
    const s = await open();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`${name}: CDRs`, () => {
    it('writes a CDR and reads it back with ring, talk and total durations', () =>
      withStorage(async (s) => {
        const written = await s.cdrs.write(cdr({ queue: 'sales', agent: '1005', trunk: 'carrier' }));
        expect(written.ringMs).toBe(4_000);
        expect(written.talkMs).toBe(60_000);
        expect(written.totalMs).toBe(64_000);
        expect(written.extensions).toEqual(['1001', '1002']);
        const read = await s.cdrs.get('call-1');
        expect(read).toEqual(written);
        expect(read?.legs).toEqual(cdr().legs);
        expect(read?.hangup).toEqual({ by: 'caller', status: 200, reason: 'Normal' });
        expect(await s.cdrs.get('nope')).toBeUndefined();
      }));

    it('an unanswered call rings for its whole length and talks for none', () =>
      withStorage(async (s) => {
        const { answeredAt: _, ...noAnswer } = cdr({
          disposition: 'no-answer',
          hangup: { by: 'system', status: 408 },
        });
        const r = await s.cdrs.write(noAnswer);
        expect([r.ringMs, r.talkMs, r.totalMs]).toEqual([64_000, 0, 64_000]);
        expect((await s.cdrs.get('call-1'))?.answeredAt).toBeUndefined();
      }));

    it('refuses a second CDR for the same call id', () =>
      withStorage(async (s) => {
        await s.cdrs.write(cdr());
        const err = await rejection(s.cdrs.write(cdr({ callee: { number: '1003' } })));
        expect(err.code).toBe('ERR_STORAGE');
        expect(err.field).toBe('cdr.callId');
        expect((await s.cdrs.get('call-1'))?.callee.number).toBe('1002');
      }));

    it('CDRs written at once, one of them a duplicate: only the duplicate is refused', () =>
      withStorage(async (s) => {
        const ids = ['a1', 'a2', 'dup', 'a3'];
        const results = await Promise.allSettled([
          ...ids.map((callId, i) => s.cdrs.write(cdr({ callId, startedAt: T0 + i }))),
          s.cdrs.write(cdr({ callId: 'dup', callee: { number: '1003' } })),
        ]);
        expect(results.map((r) => r.status)).toEqual([
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'fulfilled',
          'rejected',
        ]);
        const err = (results[4] as PromiseRejectedResult).reason as { code: string; field: string };
        expect([err.code, err.field]).toEqual(['ERR_STORAGE', 'cdr.callId']);
        const stored = (await s.cdrs.query({ order: 'asc' })).items;
        expect(stored.map((c) => c.callId)).toEqual(ids);
        expect((await s.cdrs.get('dup'))?.callee.number).toBe('1002');
      }));

    it('a read issued before a write has resolved sees the CDR', () =>
      withStorage(async (s) => {
        const written = s.cdrs.write(cdr());
        const read = s.cdrs.get('call-1');
        const listed = s.cdrs.query();
        expect((await read)?.callId).toBe('call-1');
        expect((await listed).items).toHaveLength(1);
        await written;
      }));

    const bad: [string, unknown, string][] = [
      ['no call id', { ...cdr(), callId: '' }, 'cdr.callId'],
      ['caller without a number', { ...cdr(), caller: { name: 'x' } }, 'cdr.caller.number'],
      ['callee not an object', { ...cdr(), callee: '1002' }, 'cdr.callee'],
      ['unknown direction', { ...cdr(), direction: 'sideways' }, 'cdr.direction'],
      ['fractional start', { ...cdr(), startedAt: 1.5 }, 'cdr.startedAt'],
      ['end before start', { ...cdr(), endedAt: T0 - 1 }, 'cdr.endedAt'],
      ['answer after end', { ...cdr(), answeredAt: T0 + 70_000 }, 'cdr.answeredAt'],
      ['answered without answer time', { ...cdr(), answeredAt: undefined }, 'cdr.answeredAt'],
      ['busy with an answer time', { ...cdr(), disposition: 'busy' }, 'cdr.answeredAt'],
      ['unknown disposition', { ...cdr(), disposition: 'maybe' }, 'cdr.disposition'],
      ['hangup without by', { ...cdr(), hangup: { status: 200 } }, 'cdr.hangup.by'],
      ['hangup status 99', { ...cdr(), hangup: { by: 'caller', status: 99 } }, 'cdr.hangup.status'],
      ['legs not an array', { ...cdr(), legs: {} }, 'cdr.legs'],
      ['a leg that is not JSON', { ...cdr(), legs: [{ id: 'a' }, { at: new Date() }] }, 'cdr.legs[1].at'],
      ['a leg with NaN', { ...cdr(), legs: [{ mos: Number.NaN }] }, 'cdr.legs[0].mos'],
      [
        'an infinite number in a list',
        { ...cdr(), legs: [{ a: [1, Number.POSITIVE_INFINITY] }] },
        'cdr.legs[0].a[1]',
      ],
      [
        'a leg nested too deep',
        { ...cdr(), legs: [Array.from({ length: 40 }).reduce<object>((inner) => ({ x: inner }), {})] },
        `cdr.legs[0]${'.x'.repeat(33)}`,
      ],
      ['empty extension', { ...cdr(), extensions: ['1001', ''] }, 'cdr.extensions[1]'],
      ['empty queue', { ...cdr(), queue: '' }, 'cdr.queue'],
      ['not an object', 42, 'cdr'],
    ];
    it.each(bad)('rejects a CDR with %s, naming the field', (_what, input, field) =>
      withStorage(async (s) => {
        const err = await rejection(s.cdrs.write(input as CdrInput));
        expect(err.code).toBe('ERR_STORAGE');
        expect(err.field).toBe(field);
        expect(err.message).toContain(field);
        expect((await s.cdrs.query()).items).toEqual([]);
      }),
    );

    it('queries by time range, extension, disposition, direction, queue and agent, page by page', async () => {
      await fc.assert(
        fc.asyncProperty(arbCdrs, arbCdrQuery, async (cdrs, query) => {
          const s = await open();
          try {
            for (const c of cdrs) await s.cdrs.write(c);
            const pages = await allPages((cursor) =>
              s.cdrs.query({ ...query, ...(cursor ? { cursor } : {}) }),
            );
            const limit = query.limit ?? 100;
            for (const p of pages.slice(0, -1)) expect(p).toHaveLength(limit);
            expect(pages.flat().map((r) => r.callId)).toEqual(expectedCdrs(cdrs, query));
          } finally {
            await s.close();
          }
        }),
        { numRuns: 40 },
      );
    });

    it('a page cursor keeps its place when newer calls are written meanwhile', () =>
      withStorage(async (s) => {
        for (let i = 0; i < 5; i++)
          await s.cdrs.write(cdr({ callId: `c${i}`, startedAt: T0 + i, answeredAt: T0 + 10 }));
        const first = await s.cdrs.query({ limit: 2 });
        expect(first.items.map((c) => c.callId)).toEqual(['c4', 'c3']);
        await s.cdrs.write(cdr({ callId: 'late', startedAt: T0 + 9, answeredAt: T0 + 10 }));
        const second = await s.cdrs.query({ limit: 2, cursor: first.nextCursor as string });
        expect(second.items.map((c) => c.callId)).toEqual(['c2', 'c1']);
      }));

    it.each([
      [{ limit: 0 }, 'query.limit'],
      [{ limit: 1001 }, 'query.limit'],
      [{ cursor: 'garbage!' }, 'query.cursor'],
      [{ cursor: Buffer.from('[1]').toString('base64url') }, 'query.cursor'],
      [{ disposition: 'maybe' }, 'query.disposition[0]'],
      [{ from: -1 }, 'query.from'],
      [{ order: 'up' }, 'query.order'],
    ])('rejects the CDR query %j naming %s', (q, field) =>
      withStorage(async (s) => {
        const err = await rejection(s.cdrs.query(q as CdrQuery));
        expect([err.code, err.field]).toEqual(['ERR_STORAGE', field]);
      }),
    );

    it('returns copies: changing a returned record changes nothing stored', () =>
      withStorage(async (s) => {
        const r = await s.cdrs.write(cdr());
        r.legs.push({ id: 'z' });
        r.caller.number = '9';
        const read = (await s.cdrs.get('call-1')) as CdrRecord;
        expect(read.legs).toHaveLength(2);
        expect(read.caller.number).toBe('1001');
      }));
  });

  describe(`${name}: queue and agent event log`, () => {
    const ev = (type: string, at: number, over: Partial<QueueEventInput> = {}): QueueEventInput => ({
      type,
      at,
      ...over,
    });

    it('appends events with increasing sequence numbers and finds them by queue, agent, type and time', () =>
      withStorage(async (s) => {
        const one = await s.events.append(
          ev('queued', T0, { queueId: 'sales', interactionId: 'i1', data: { position: 1 } }),
        );
        const more = await s.events.append([
          ev('offer', T0 + 1, { queueId: 'sales', agentId: '1005', interactionId: 'i1' }),
          ev('agentState', T0 + 2, { agentId: '1005', data: { from: 'available', to: 'busy' } }),
          ev('queued', T0 + 3, { queueId: 'support', interactionId: 'i2' }),
        ]);
        const seqs = [...one, ...more].map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(4);
        expect(one[0]?.data).toEqual({ position: 1 });
        expect(more[0]?.data).toEqual({});
        const ids = async (q: QueueEventQuery) => (await s.events.query(q)).items.map((e) => e.type);
        expect(await ids({})).toEqual(['queued', 'offer', 'agentState', 'queued']);
        expect(await ids({ queueId: 'sales' })).toEqual(['queued', 'offer']);
        expect(await ids({ agentId: '1005' })).toEqual(['offer', 'agentState']);
        expect(await ids({ interactionId: 'i2' })).toEqual(['queued']);
        expect(await ids({ type: 'queued' })).toEqual(['queued', 'queued']);
        expect(await ids({ type: ['offer', 'agentState'] })).toEqual(['offer', 'agentState']);
        expect(await ids({ from: T0 + 1, to: T0 + 3 })).toEqual(['offer', 'agentState']);
        expect(await ids({ afterSeq: seqs[1] as number })).toEqual(['agentState', 'queued']);
        expect((await s.events.query({ agentId: '1005' })).items[1]).toEqual(more[1]);
      }));

    it('pages through the log in order with cursors, and resumes after the last seq seen', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ type: fc.constantFrom('a', 'b'), q: fc.constantFrom('x', 'y') }), {
            maxLength: 30,
          }),
          fc.integer({ min: 1, max: 6 }),
          fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
          async (list, limit, queueId) => {
            const s = await open();
            try {
              const appended: QueueEventRecord[] = [];
              for (let i = 0; i < list.length; i += 4) {
                const batch = list
                  .slice(i, i + 4)
                  .map((e, j) => ({ type: e.type, at: T0 + i + j, queueId: e.q }));
                appended.push(...(await s.events.append(batch)));
              }
              const want = appended.filter((e) => queueId === undefined || e.queueId === queueId);
              const pages = await allPages((cursor) =>
                s.events.query({ limit, ...(queueId ? { queueId } : {}), ...(cursor ? { cursor } : {}) }),
              );
              expect(pages.flat()).toEqual(want);
              const mid = want[Math.floor(want.length / 2)];
              if (mid) {
                const rest = await s.events.query({
                  afterSeq: mid.seq,
                  limit: 1000,
                  ...(queueId ? { queueId } : {}),
                });
                expect(rest.items).toEqual(want.filter((e) => e.seq > mid.seq));
              }
            } finally {
              await s.close();
            }
          },
        ),
        { numRuns: 30 },
      );
    });

    it('a batch with one bad event appends nothing and names the bad field', () =>
      withStorage(async (s) => {
        const err = await rejection(s.events.append([ev('ok', T0), ev('', T0), ev('ok', T0)]));
        expect([err.code, err.field]).toEqual(['ERR_STORAGE', 'events[1].type']);
        expect((await s.events.query()).items).toEqual([]);
        const err2 = await rejection(s.events.append(ev('x', T0, { data: [1] as never })));
        expect(err2.field).toBe('event.data');
        const err3 = await rejection(s.events.query({ afterSeq: -1 }));
        expect(err3.field).toBe('query.afterSeq');
      }));
  });

  describe(`${name}: voicemail index`, () => {
    const msg = (id: string, receivedAt: number, mailbox = '1001') => ({
      id,
      mailbox,
      caller: { number: '1002', name: 'Bob' },
      receivedAt,
      durationMs: 12_000,
      file: `voicemail/${mailbox}/${id}.wav`,
    });

    it('adds, lists newest first, moves, marks heard, counts and removes messages', () =>
      withStorage(async (s) => {
        const a = await s.voicemail.add(msg('m1', T0));
        expect(a).toMatchObject({ folder: 'inbox', heard: false });
        await s.voicemail.add(msg('m2', T0 + 10));
        await s.voicemail.add({ ...msg('m3', T0 + 5, '1002'), callId: 'call-9' });
        expect((await s.voicemail.list('1001')).map((m) => m.id)).toEqual(['m2', 'm1']);
        expect(await s.voicemail.counts('1001')).toEqual({ unheard: 2, heard: 0 });
        const moved = await s.voicemail.update('m1', { heard: true, folder: 'saved' });
        expect(moved).toMatchObject({ id: 'm1', heard: true, folder: 'saved' });
        expect((await s.voicemail.list('1001', { folder: 'inbox' })).map((m) => m.id)).toEqual(['m2']);
        expect(await s.voicemail.counts('1001')).toEqual({ unheard: 1, heard: 1 });
        expect(await s.voicemail.get('m3')).toEqual({
          ...msg('m3', T0 + 5, '1002'),
          callId: 'call-9',
          folder: 'inbox',
          heard: false,
        });
        expect(await s.voicemail.update('nope', { heard: true })).toBeUndefined();
        expect(await s.voicemail.remove('m2')).toBe(true);
        expect(await s.voicemail.remove('m2')).toBe(false);
        expect((await s.voicemail.list('1001')).map((m) => m.id)).toEqual(['m1']);
      }));

    it.each([
      [{ file: '/etc/passwd' }, 'voicemail.file'],
      [{ file: 'voicemail/../../x.wav' }, 'voicemail.file'],
      [{ durationMs: -1 }, 'voicemail.durationMs'],
      [{ folder: 'trash' }, 'voicemail.folder'],
      [{ mailbox: '' }, 'voicemail.mailbox'],
    ])('rejects the message field %j', (over, field) =>
      withStorage(async (s) => {
        const err = await rejection(s.voicemail.add({ ...msg('m1', T0), ...over } as never));
        expect([err.code, err.field]).toEqual(['ERR_STORAGE', field]);
      }),
    );

    it('refuses a duplicate message id and a bad patch', () =>
      withStorage(async (s) => {
        await s.voicemail.add(msg('m1', T0));
        expect((await rejection(s.voicemail.add(msg('m1', T0)))).field).toBe('voicemail.id');
        expect((await rejection(s.voicemail.update('m1', { folder: 'trash' as never }))).field).toBe(
          'patch.folder',
        );
        expect((await rejection(s.voicemail.update('m1', { heard: 'yes' as never }))).field).toBe(
          'patch.heard',
        );
      }));
  });

  describe(`${name}: callbacks`, () => {
    const cb = (id: string, over: Partial<CallbackRecord> = {}): CallbackRecord => ({
      id,
      queueId: 'sales',
      number: '+15551230000',
      enqueuedAt: T0,
      attempts: 0,
      status: 'pending',
      updatedAt: T0,
      ...over,
    });

    it('saves (insert or replace), lists by enqueue time with filters, and removes callbacks', () =>
      withStorage(async (s) => {
        const full = cb('i1', {
          callerId: '1001',
          notBefore: T0 + 1,
          notAfter: T0 + 3_600_000,
          maxAttempts: 3,
          retryDelayMs: 300_000,
          priority: 2.5,
          attributes: { lang: 'fr', vip: true },
          enqueuedAt: T0 + 50,
        });
        await s.callbacks.save(full);
        await s.callbacks.save(cb('i2', { queueId: 'support', enqueuedAt: T0 + 10 }));
        await s.callbacks.save(cb('i3', { enqueuedAt: T0 + 20, status: 'done' }));
        expect(await s.callbacks.get('i1')).toEqual(full);
        expect((await s.callbacks.list()).map((c) => c.id)).toEqual(['i2', 'i3', 'i1']);
        expect((await s.callbacks.list({ queueId: 'sales' })).map((c) => c.id)).toEqual(['i3', 'i1']);
        expect((await s.callbacks.list({ status: 'pending' })).map((c) => c.id)).toEqual(['i2', 'i1']);
        await s.callbacks.save({ ...full, attempts: 1, updatedAt: T0 + 99 });
        expect(await s.callbacks.get('i1')).toMatchObject({ attempts: 1, updatedAt: T0 + 99 });
        expect(await s.callbacks.remove('i1')).toBe(true);
        expect(await s.callbacks.get('i1')).toBeUndefined();
        expect(await s.callbacks.remove('i1')).toBe(false);
      }));

    it.each([
      [{ number: '' }, 'callback.number'],
      [{ attempts: -1 }, 'callback.attempts'],
      [{ maxAttempts: 0 }, 'callback.maxAttempts'],
      [{ status: 'lost' }, 'callback.status'],
      [{ priority: Number.POSITIVE_INFINITY }, 'callback.priority'],
      [{ attributes: [] }, 'callback.attributes'],
    ])('rejects the callback field %j', (over, field) =>
      withStorage(async (s) => {
        const err = await rejection(s.callbacks.save({ ...cb('i1'), ...over } as never));
        expect([err.code, err.field]).toEqual(['ERR_STORAGE', field]);
        expect(await s.callbacks.list()).toEqual([]);
      }),
    );
  });

  describe(`${name}: key-value`, () => {
    it('stores any JSON value and gives back an equal one', async () => {
      const s = await open();
      try {
        await fc.assert(
          fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue(), async (k, v) => {
            await s.kv.set(k, v as never);
            // JSON has no -0; everything else comes back equal.
            expect(await s.kv.get(k)).toEqual(JSON.parse(JSON.stringify(v)));
          }),
          { numRuns: 60 },
        );
      } finally {
        await s.close();
      }
    });

    it('lists by prefix in key order, deletes, and rejects what is not JSON', () =>
      withStorage(async (s) => {
        await s.kv.set('dnd:1002', true);
        await s.kv.set('dnd:1001', { until: T0 });
        await s.kv.set('forward:1001', '1002');
        await s.kv.set('dnd:é', 1);
        expect((await s.kv.list('dnd:')).map((e) => e.key)).toEqual(['dnd:1001', 'dnd:1002', 'dnd:é']);
        expect(await s.kv.list()).toHaveLength(4);
        expect(await s.kv.get('dnd:1001')).toEqual({ until: T0 });
        expect(await s.kv.delete('dnd:1001')).toBe(true);
        expect(await s.kv.delete('dnd:1001')).toBe(false);
        expect(await s.kv.get('dnd:1001')).toBeUndefined();
        for (const [v, field] of [
          [undefined, 'value'],
          [Number.NaN, 'value'],
          [{ f: () => 1 }, 'value.f'],
          [[1, new Map()], 'value[1]'],
        ] as const) {
          const err = await rejection(s.kv.set('x', v as never));
          expect([err.code, err.field]).toEqual(['ERR_STORAGE', field]);
        }
        expect((await rejection(s.kv.set('', 1))).field).toBe('key');
      }));
  });

  describe(`${name}: lifecycle`, () => {
    it('close() is idempotent and every later call rejects with ERR_CLOSED', async () => {
      const s = await open();
      expect(s.closed).toBe(false);
      await s.close();
      await s.close();
      expect(s.closed).toBe(true);
      for (const p of [
        s.cdrs.write(cdr()),
        s.cdrs.query(),
        s.events.append({ type: 'x', at: 0 }),
        s.voicemail.counts('1001'),
        s.callbacks.list(),
        s.kv.get('k'),
      ]) {
        expect((await rejection(p)).code).toBe('ERR_CLOSED');
      }
    });
  });
}
