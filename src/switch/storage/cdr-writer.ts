/**
 * The CDR writer thread. CDR inserts and their group commits — each commit an fsync, the
 * database runs with `synchronous = FULL` — run on a worker thread with its own connection
 * to the database file, so the switch's event loop never waits for the disk nor spends its
 * time in SQLite while calls end. WAL lets the main connection read (CDR queries) while the
 * thread writes; a write lock held by one connection is waited for by the other (the busy
 * timeout).
 *
 * Protocol (structured-clone messages): the host posts `{ t: 'w', first, rows }` once per turn
 * of its event loop with the CDRs written in it (ids `first`, `first + 1`, …); the thread
 * gathers the writes that arrive in one turn of its event loop into one transaction
 * (and, once commits hold several, at most one commit per `commitWindowMs`), then answers
 * `{ t: 'done', ok, failed }` in the order the writes came. A batch that fails (a duplicate
 * callId among them) is written again one CDR per transaction, so that only the bad one is
 * refused. `{ t: 'close' }` flushes what is pending and closes the connection.
 *
 * The thread's program is {@link writerMain}, started from its source text (eval worker),
 * so it needs no separate build entry and works the same from source, from dist/ and from
 * an application bundle; libSQL is loaded in the thread by the path resolved here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One CDR as the thread inserts it: the named parameters of INSERT_CDR_SQL and the extensions. */
export interface CdrRow {
  params: Record<string, string | number | null>;
  extensions: readonly string[];
}

export const INSERT_CDR_SQL = `
      INSERT INTO cdrs (call_id, caller_number, caller_name, callee_number, callee_name, direction,
        started_at, answered_at, ended_at, ring_ms, talk_ms, total_ms, disposition,
        hangup_status, hangup_reason, hangup_by, legs, extensions, queue, agent, trunk)
      VALUES (:callId, :callerNumber, :callerName, :calleeNumber, :calleeName, :direction,
        :startedAt, :answeredAt, :endedAt, :ringMs, :talkMs, :totalMs, :disposition,
        :hangupStatus, :hangupReason, :hangupBy, :legs, :extensions, :queue, :agent, :trunk)`;
export const INSERT_CDR_EXTENSION_SQL = 'INSERT INTO cdr_extensions (extension, cdr_seq) VALUES (?, ?)';

/** Why one write was refused: the database's message, and whether it was a constraint (a duplicate callId). */
export interface CdrWriteFailure {
  message: string;
  constraint: boolean;
}

interface WriterData {
  libsql: string;
  path: string;
  busyTimeoutMs: number;
  commitWindowMs: number;
  insertCdr: string;
  insertExtension: string;
}

type ToWriter = { t: 'w'; first: number; rows: CdrRow[] } | { t: 'close' };
type FromWriter =
  | { t: 'ready' }
  | { t: 'done'; ok: number[]; failed: Array<{ id: number } & CdrWriteFailure> }
  | { t: 'fatal'; message: string }
  | { t: 'closed' };

interface WriterPort {
  on(event: 'message', listener: (m: ToWriter) => void): unknown;
  postMessage(m: FromWriter): void;
}
interface WriterStatement {
  run(...args: unknown[]): { lastInsertRowid: number | bigint };
}
interface WriterDb {
  pragma(sql: string): unknown;
  prepare(sql: string): WriterStatement;
  transaction<A>(fn: (arg: A) => void): (arg: A) => void;
  close(): void;
}

/**
 * The thread's program. It runs from its source text, so it may use only its arguments and
 * globals — no imports, no module-level helpers.
 */
function writerMain(
  port: WriterPort,
  data: WriterData,
  Database: new (path: string, o: object) => WriterDb,
): void {
  let db: WriterDb;
  let insertOne: (row: CdrRow) => void;
  let writeMany: (rows: CdrRow[]) => void;
  let writeAlone: (row: CdrRow) => void;
  try {
    db = new Database(data.path, { timeout: data.busyTimeoutMs });
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const insertCdr = db.prepare(data.insertCdr);
    const insertExtension = db.prepare(data.insertExtension);
    insertOne = (row) => {
      const res = insertCdr.run(row.params);
      for (const ext of row.extensions) insertExtension.run(ext, res.lastInsertRowid);
    };
    writeMany = db.transaction((rows: CdrRow[]) => {
      for (const row of rows) insertOne(row);
    });
    writeAlone = db.transaction((row: CdrRow) => insertOne(row));
  } catch (err) {
    port.postMessage({ t: 'fatal', message: (err as Error).message });
    return;
  }
  const failure = (err: unknown) => {
    const code = (err as { code?: unknown })?.code;
    return {
      message: (err as Error)?.message ?? String(err),
      constraint: typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'),
    };
  };
  let pending: Array<{ id: number; row: CdrRow }> = [];
  let scheduled: { cancel(): void } | undefined;
  let lastCommit = Number.NEGATIVE_INFINITY;
  let lastBatch = 0;
  const flush = () => {
    scheduled?.cancel();
    scheduled = undefined;
    lastCommit = performance.now();
    const batch = pending;
    lastBatch = batch.length;
    if (batch.length === 0) return;
    pending = [];
    const ok: number[] = [];
    const failed: Array<{ id: number } & CdrWriteFailure> = [];
    let together = batch.length > 1;
    if (together) {
      try {
        writeMany(batch.map((w) => w.row));
        for (const w of batch) ok.push(w.id);
      } catch {
        together = false;
      }
    }
    if (!together) {
      for (const w of batch) {
        try {
          writeAlone(w.row);
          ok.push(w.id);
        } catch (err) {
          failed.push({ id: w.id, ...failure(err) });
        }
      }
    }
    port.postMessage({ t: 'done', ok, failed });
  };
  port.on('message', (m) => {
    if (m.t === 'w') {
      for (let i = 0; i < m.rows.length; i++) pending.push({ id: m.first + i, row: m.rows[i] as CdrRow });
      if (scheduled === undefined) {
        const wait = lastBatch > 1 ? lastCommit + data.commitWindowMs - performance.now() : 0;
        if (wait > 0) {
          const timer = setTimeout(flush, wait);
          scheduled = { cancel: () => clearTimeout(timer) };
        } else {
          const im = setImmediate(flush);
          scheduled = { cancel: () => clearImmediate(im) };
        }
      }
      return;
    }
    flush();
    try {
      db.close();
    } finally {
      port.postMessage({ t: 'closed' });
    }
  });
  port.postMessage({ t: 'ready' });
}

const BOOT = [
  // a transpiler that keeps function names (tsx, esbuild's keepNames) wraps functions in a
  // __name() helper the source text does not carry: the thread gets a stand-in
  'var __name = (fn) => fn;',
  "const { parentPort, workerData } = require('node:worker_threads');",
  `(${writerMain.toString()})(parentPort, workerData, require(workerData.libsql));`,
].join('\n');

function moduleRequire(): NodeRequire {
  // CJS build: __filename; ESM build and source: import.meta.url
  return createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
}

export interface CdrWriterOptions {
  path: string;
  busyTimeoutMs: number;
  commitWindowMs: number;
}

interface SettleWaiter {
  upTo: number;
  resolve(): void;
}

interface Waiting {
  resolve(): void;
  reject(failure: CdrWriteFailure): void;
}

/**
 * The host side of the writer thread. `write` resolves once the CDR's commit is on disk.
 * When the thread fails (it cannot start, crashes or exits), `onFailure` gets the writes it
 * had not answered, in order, and `usable` turns false: the storage then writes on its own
 * connection.
 */
export class CdrWriter {
  readonly #worker: Worker;
  /** The writes not answered yet, by id: their rows (for `onFailure`) and promises. */
  readonly #waiting = new Map<number, { row: CdrRow; waiting: Waiting }>();
  #nextId = 1;
  #closing: Promise<void> | undefined;
  #closed: (() => void) | undefined;
  #broken = false;
  #settleWaiters: SettleWaiter[] = [];
  #answeredUpTo = 0;
  /** Rows written in this turn of the event loop, posted together on the next (ids up to #nextId - 1). */
  #outbox: CdrRow[] = [];
  #lastPost = Number.NEGATIVE_INFINITY;
  #lastPostSize = 0;
  readonly #windowMs: number;
  #onFailure: (unanswered: Array<{ row: CdrRow; waiting: Waiting }>, reason: string) => void = () => {};

  private constructor(worker: Worker, windowMs: number) {
    this.#worker = worker;
    this.#windowMs = windowMs;
  }

  /** Starts the thread and opens its connection; rejects with the reason when it cannot. */
  static start(options: CdrWriterOptions): Promise<CdrWriter> {
    const data: WriterData = {
      libsql: moduleRequire().resolve('libsql'),
      path: options.path,
      busyTimeoutMs: options.busyTimeoutMs,
      commitWindowMs: options.commitWindowMs,
      insertCdr: INSERT_CDR_SQL,
      insertExtension: INSERT_CDR_EXTENSION_SQL,
    };
    const worker = new Worker(BOOT, { eval: true, workerData: data, name: 'strowger-cdr-writer' });
    const writer = new CdrWriter(worker, options.commitWindowMs);
    return new Promise<CdrWriter>((resolve, reject) => {
      const early = (err: Error | number) => {
        reject(new Error(typeof err === 'number' ? `the thread exited with code ${err}` : err.message));
      };
      worker.once('error', early);
      worker.once('exit', early);
      worker.once('message', (m: FromWriter) => {
        worker.off('error', early);
        worker.off('exit', early);
        if (m.t !== 'ready') {
          void worker.terminate();
          reject(new Error(m.t === 'fatal' ? m.message : `unexpected ${m.t}`));
          return;
        }
        writer.#listen();
        worker.unref();
        resolve(writer);
      });
    });
  }

  /** Called once if the thread fails, with the writes it had not answered. */
  set onFailure(fn: (unanswered: Array<{ row: CdrRow; waiting: Waiting }>, reason: string) => void) {
    this.#onFailure = fn;
  }

  /** True once the thread failed (it could not go on, crashed or exited). */
  get failed(): boolean {
    return this.#broken;
  }

  /** False once the thread failed or was closed: write on the storage's own connection then. */
  get usable(): boolean {
    return !this.#broken && this.#closing === undefined;
  }

  write(row: CdrRow): Promise<void> {
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { row, waiting: { resolve, reject } });
      // The CDRs of one turn of the event loop cross to the thread in one message; once a
      // message has carried several (calls end faster than turns), the next waits until
      // `commitWindowMs` after the previous one, as the commits do: a message costs the
      // event loop tens of µs, whatever it carries.
      if (this.#outbox.length === 0) {
        const wait = this.#lastPostSize > 1 ? this.#lastPost + this.#windowMs - performance.now() : 0;
        if (wait > 0) setTimeout(this.#post, wait);
        else setImmediate(this.#post);
      }
      this.#outbox.push(row);
    });
  }

  readonly #post = (): void => {
    const rows = this.#outbox;
    if (rows.length === 0 || this.#broken) return;
    this.#outbox = [];
    this.#lastPost = performance.now();
    this.#lastPostSize = rows.length;
    this.#worker.postMessage({ t: 'w', first: this.#nextId - rows.length, rows } satisfies ToWriter);
  };

  /** Resolves once every write posted so far has been answered (or the thread failed). */
  settled(): Promise<void> {
    const upTo = this.#nextId - 1;
    if (this.#answeredUpTo >= upTo || this.#broken) return Promise.resolve();
    return new Promise((resolve) => this.#settleWaiters.push({ upTo, resolve }));
  }

  /** Flushes the pending writes, closes the thread's connection and ends the thread. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#broken) {
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#closing = new Promise<void>((resolve) => {
      this.#closed = resolve;
      this.#worker.ref();
      this.#post();
      this.#worker.postMessage({ t: 'close' } satisfies ToWriter);
    });
    return this.#closing;
  }

  /** Ends the thread at once, as a crash would (tests): unanswered writes go to `onFailure`. */
  terminate(): Promise<void> {
    return this.#worker.terminate().then(() => undefined);
  }

  #listen(): void {
    this.#worker.on('message', (m: FromWriter) => {
      if (m.t === 'done') {
        for (const id of m.ok) this.#answer(id)?.resolve();
        for (const f of m.failed) this.#answer(f.id)?.reject(f);
        if (this.#waiting.size === 0 && this.#closing === undefined) this.#worker.unref();
        this.#wakeSettled();
      } else if (m.t === 'closed') {
        void this.#worker.terminate().then(() => this.#closed?.());
      }
    });
    this.#worker.on('error', (err) => this.#fail(err.message));
    this.#worker.on('exit', (code) => {
      if (this.#closed === undefined || this.#waiting.size > 0)
        this.#fail(`the thread exited with code ${code}`);
    });
  }

  #answer(id: number): Waiting | undefined {
    const w = this.#waiting.get(id)?.waiting;
    this.#waiting.delete(id);
    if (id > this.#answeredUpTo) this.#answeredUpTo = id;
    return w;
  }

  #wakeSettled(): void {
    if (this.#settleWaiters.length === 0) return;
    const still: SettleWaiter[] = [];
    for (const s of this.#settleWaiters) {
      if (this.#broken || this.#answeredUpTo >= s.upTo) s.resolve();
      else still.push(s);
    }
    this.#settleWaiters = still;
  }

  #fail(reason: string): void {
    if (this.#broken) return;
    this.#broken = true;
    const unanswered = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#outbox = [];
    this.#onFailure(unanswered, reason);
    this.#wakeSettled();
    this.#closed?.();
  }
}
