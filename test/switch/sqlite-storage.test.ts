/** What only the SQLite storage promises: migrations, WAL, durability across a crash. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/index.js';
import { createSqliteStorage, MIGRATIONS, type Migration } from '../../src/switch/index.js';
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
