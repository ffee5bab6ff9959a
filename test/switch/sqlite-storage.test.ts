/** What only the SQLite storage promises: migrations, WAL, durability across a crash. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/index.js';
import { createSqliteStorage, MIGRATIONS, type Migration, SqliteStorage } from '../../src/switch/index.js';
import { CdrWriter } from '../../src/switch/storage/cdr-writer.js';
import { cdr } from './storage-contract.js';

const root = mkdtempSync(join(tmpdir(), 'strowger-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`);

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('sqlite storage', () => {
  it('creates the data directory and the database in WAL mode', async () => {
    const dir = join(freshDir(), 'nested', 'data');
    const s = await createSqliteStorage({ dataDir: dir });
    await s.cdrs.write(cdr());
    expect(s.path).toBe(join(dir, 'strowger.db'));
    expect(existsSync(join(dir, 'strowger.db-wal'))).toBe(true);
    const db = new Database(s.path);
    expect((db.pragma('journal_mode') as { journal_mode: string }[])[0]?.journal_mode).toBe('wal');
    db.close();
    await s.close();
  });

  it('applies the migrations once: opening twice keeps one schema_migrations row per version', async () => {
    const dir = freshDir();
    const clock = new FakeClock({ wallStart: 1_000 });
    const first = await createSqliteStorage({ dataDir: dir, clock });
    const applied = await first.migrations();
    expect(applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(applied.every((m) => m.appliedAt === 1_000)).toBe(true);
    await first.cdrs.write(cdr());
    await first.close();
    clock.advance(5_000);
    const second = await createSqliteStorage({ dataDir: dir, clock });
    expect(await second.migrations()).toEqual(applied);
    expect((await second.cdrs.get('call-1'))?.callee.number).toBe('1002');
    await second.close();
  });

  it('applies a new migration to an existing database and keeps the data', async () => {
    const dir = freshDir();
    const v1 = await createSqliteStorage({ dataDir: dir });
    await v1.kv.set('k', 1);
    await v1.close();
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'notes', sql: 'CREATE TABLE notes (x TEXT)' },
    ];
    const v2 = await createSqliteStorage({ dataDir: dir, migrations: next });
    expect((await v2.migrations()).map((m) => m.name)).toEqual(next.map((m) => m.name));
    expect(await v2.kv.get('k')).toBe(1);
    await v2.close();
    expect(tables(v2.path)).toContain('notes');
  });

  it('a failing migration rolls back every pending one and reports which failed', async () => {
    const dir = freshDir();
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'good', sql: 'CREATE TABLE good (x)' },
      {
        version: MIGRATIONS.length + 2,
        name: 'bad',
        sql: 'CREATE TABLE bad (x); INSERT INTO nowhere VALUES (1)',
      },
    ];
    const err = await rejection(createSqliteStorage({ dataDir: dir, migrations: broken }));
    expect(err.code).toBe('ERR_STORAGE');
    expect(err.message).toContain(`migration ${MIGRATIONS.length + 2} (bad) failed`);
    const path = join(dir, 'strowger.db');
    const names = tables(path);
    expect(names).not.toContain('cdrs');
    expect(names).not.toContain('good');
    expect(names).not.toContain('bad');
    const ok = await createSqliteStorage({ dataDir: dir });
    expect((await ok.migrations()).length).toBe(MIGRATIONS.length);
    await ok.close();
  });

  it('refuses a database written by a newer strowger, and a migration list with a gap', async () => {
    const dir = freshDir();
    const newer: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'future', sql: 'SELECT 1' },
    ];
    await (await createSqliteStorage({ dataDir: dir, migrations: newer })).close();
    const err = await rejection(createSqliteStorage({ dataDir: dir }));
    expect(err.code).toBe('ERR_STORAGE');
    expect(err.message).toMatch(/newer than this strowger/);
    const gap = await rejection(
      createSqliteStorage({ dataDir: freshDir(), migrations: [{ version: 2, name: 'x', sql: 'SELECT 1' }] }),
    );
    expect(gap.code).toBe('ERR_STORAGE');
    expect(gap.message).toContain('migrations[0].version');
  });

  it('reports a database it cannot open as ERR_STORAGE', async () => {
    const dir = freshDir();
    await (await createSqliteStorage({ dataDir: dir })).close();
    // A directory where the file should be.
    const err = await rejection(createSqliteStorage({ dataDir: root, file: dir }));
    expect(err.code).toBe('ERR_STORAGE');
    expect((await rejection(createSqliteStorage({ dataDir: '' }))).code).toBe('ERR_STORAGE');
  });

  it('refuses a CDR commit window outside 0-1000 ms; with 0 every write still resolves', async () => {
    for (const commitWindowMs of [-1, 1001, Number.NaN]) {
      const err = await rejection(createSqliteStorage({ dataDir: freshDir(), commitWindowMs }));
      expect(err.code).toBe('ERR_STORAGE');
    }
    const s = await createSqliteStorage({ dataDir: freshDir(), commitWindowMs: 0 });
    for (let i = 0; i < 3; i++) await s.cdrs.write(cdr({ callId: `w${i}` }));
    expect((await s.cdrs.query()).items).toHaveLength(3);
    await s.close();
  });

  it('batches written back to back (the second waits for the commit window) all land, in order', async () => {
    const s = await createSqliteStorage({ dataDir: freshDir() });
    const ids = (k: number) => Array.from({ length: 5 }, (_, i) => `b${k}-${i}`);
    const write = (k: number) =>
      Promise.all(ids(k).map((callId, i) => s.cdrs.write(cdr({ callId, startedAt: 1_000 * k + i }))));
    await write(0);
    const second = write(1);
    const third = write(2); // joins the second's pending commit
    await Promise.all([second, third]);
    const stored = (await s.cdrs.query({ order: 'asc' })).items.map((c) => c.callId);
    expect(stored).toEqual([...ids(0), ...ids(1), ...ids(2)]);
    await s.close();
  });

  it('commits CDRs on the writer thread: a second connection sees each CDR once its write resolved', async () => {
    const s = await createSqliteStorage({ dataDir: freshDir() });
    expect(s.cdrWriter).toBe('thread');
    const other = new Database(s.path, { readonly: true });
    try {
      const count = other.prepare('SELECT COUNT(*) AS n FROM cdrs WHERE call_id = ?');
      const ext = other.prepare('SELECT COUNT(*) AS n FROM cdr_extensions WHERE extension = ?');
      for (let i = 0; i < 5; i++) {
        const callId = `t${i}`;
        await s.cdrs.write(cdr({ callId, extensions: ['1001', `2${i}`] }));
        expect((count.get(callId) as { n: number }).n).toBe(1);
        expect((ext.get(`2${i}`) as { n: number }).n).toBe(1);
      }
      // read-your-writes on the storage's own connection without awaiting the writes
      const pending = Array.from({ length: 20 }, (_, i) => s.cdrs.write(cdr({ callId: `p${i}` })));
      expect((await s.cdrs.get('p19'))?.callId).toBe('p19');
      expect((await s.cdrs.query({ limit: 1000 })).items).toHaveLength(25);
      await Promise.all(pending);
    } finally {
      other.close();
      await s.close();
    }
  });

  it('the writer thread refuses only the duplicate callId of a batch, as a typed error', async () => {
    const s = await createSqliteStorage({ dataDir: freshDir() });
    const results = await Promise.allSettled([
      s.cdrs.write(cdr({ callId: 'd1' })),
      s.cdrs.write(cdr({ callId: 'd2' })),
      s.cdrs.write(cdr({ callId: 'd1' })),
      s.cdrs.write(cdr({ callId: 'd3' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const err = (results[2] as PromiseRejectedResult).reason as {
      code: string;
      field: string;
      message: string;
    };
    expect(err.code).toBe('ERR_STORAGE');
    expect(err.field).toBe('cdr.callId');
    expect(err.message).toContain('already recorded');
    expect((await s.cdrs.query()).items.map((c) => c.callId).sort()).toEqual(['d1', 'd2', 'd3']);
    await s.close();
  });

  it("writes inline with cdrWriter 'inline', and names a bad cdrWriter value", async () => {
    const s = await createSqliteStorage({ dataDir: freshDir(), cdrWriter: 'inline' });
    expect(s.cdrWriter).toBe('inline');
    await s.cdrs.write(cdr({ callId: 'i1' }));
    expect((await s.cdrs.get('i1'))?.callId).toBe('i1');
    await s.close();
    const err = await rejection(
      createSqliteStorage({ dataDir: freshDir(), cdrWriter: 'elsewhere' as unknown as 'inline' }),
    );
    expect(err.code).toBe('ERR_STORAGE');
    expect((err as { field?: string }).field).toBe('options.cdrWriter');
  });

  it('a writer thread that cannot open its statements does not start', async () => {
    const path = join(freshDir(), 'empty.db');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(path, '..'), { recursive: true });
    new Database(path).close(); // no cdrs table: preparing the insert fails
    await expect(CdrWriter.start({ path, busyTimeoutMs: 100, commitWindowMs: 10 })).rejects.toThrow(/cdrs/);
  });

  it('when the writer thread dies, the CDRs it had not answered are written inline: none lost, none twice', async () => {
    const dir = freshDir();
    await (await createSqliteStorage({ dataDir: dir, cdrWriter: 'inline' })).close(); // schema
    const path = join(dir, 'strowger.db');
    const writer = await CdrWriter.start({ path, busyTimeoutMs: 5_000, commitWindowMs: 10 });
    const db = new Database(path, { timeout: 5_000 });
    db.pragma('journal_mode = WAL');
    const s = new SqliteStorage(db, path, 10, writer);
    expect(s.cdrWriter).toBe('thread');
    expect(s.cdrWriterProblem).toBeUndefined();
    const first = Array.from({ length: 50 }, (_, i) => s.cdrs.write(cdr({ callId: `k${i}` })));
    await writer.terminate(); // some of them may be committed, some not
    const later = Array.from({ length: 10 }, (_, i) => s.cdrs.write(cdr({ callId: `l${i}` })));
    await Promise.all([...first, ...later]);
    expect(s.cdrWriter).toBe('inline');
    expect(s.cdrWriterProblem).toMatch(/^the CDR writer thread failed: /);
    const stored = (await s.cdrs.query({ limit: 1000 })).items.map((c) => c.callId);
    expect(stored).toHaveLength(60);
    expect(new Set(stored).size).toBe(60);
    await s.close();
  });

  it('a write is on disk when its promise resolves: it survives SIGKILL right after', async () => {
    const dir = freshDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures', 'write-then-wait.ts'), dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exit = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('written')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited before writing: ${stderr}`)));
    });
    expect(await exit).toBe('SIGKILL');
    const s = await createSqliteStorage({ dataDir: dir });
    expect((await s.cdrs.get('durable-1'))?.talkMs).toBe(9_900);
    expect((await s.cdrs.query({ disposition: 'no-answer', limit: 100 })).items).toHaveLength(20);
    expect((await s.events.query({ queueId: 'demo' })).items).toHaveLength(1);
    await s.close();
  });
});
