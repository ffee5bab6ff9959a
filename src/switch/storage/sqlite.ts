/**
 * The embedded default Storage: one SQLite database file (libSQL's prebuilt binding) in the
 * data directory, in WAL mode with `synchronous = FULL`, so a write is on disk when its
 * promise resolves. Numbered migrations run at open inside one transaction. Statements
 * are prepared once and reused. CDRs are group-committed on a writer thread with its own
 * connection (./cdr-writer.ts), so the event loop never waits for an fsync; each promise
 * resolves once the commit that holds its CDR is on disk. Without the thread (`cdrWriter:
 * 'inline'`, or when it cannot start or fails) the same group commit runs on this
 * connection (see `#flushCdrs`).
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type LibsqlDatabase from 'libsql';
import { type Clock, realClock } from '../../core/index.js';
import {
  type CdrRow,
  type CdrWriteFailure,
  CdrWriter,
  INSERT_CDR_EXTENSION_SQL,
  INSERT_CDR_SQL,
} from './cdr-writer.js';
import { closedError, StorageError } from './errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import type {
  CallbackRecord,
  CallbackStore,
  CdrRecord,
  CdrStore,
  JsonObject,
  JsonValue,
  KeyValueStore,
  Page,
  QueueEventLog,
  QueueEventRecord,
  Storage,
  VoicemailIndex,
  VoicemailRecord,
} from './types.js';
import {
  callbackStatus,
  encodeCursor,
  id,
  json,
  key,
  normalizeCallback,
  normalizeCdr,
  normalizeCdrQuery,
  normalizeEventQuery,
  normalizeEvents,
  normalizeVoicemail,
  normalizeVoicemailPatch,
  str,
  voicemailFolder,
} from './validate.js';

type Db = LibsqlDatabase.Database;
type Stmt = LibsqlDatabase.Statement;
type Row = Record<string, unknown>;

export interface SqliteStorageOptions {
  /** Directory of the database (created when missing). */
  dataDir: string;
  /** Database file name, relative to `dataDir` unless absolute (default 'strowger.db'). */
  file?: string;
  /** Stamps `schema_migrations.applied_at` (default the real clock). */
  clock?: Clock;
  /** Milliseconds to wait for a lock held by another connection (default 5000). */
  busyTimeoutMs?: number;
  /** The schema history; tests pass their own (default {@link MIGRATIONS}). */
  migrations?: readonly Migration[];
  /**
   * CDR group commit under load: once commits hold several CDRs, at most one commit per
   * this many milliseconds of real time (not `clock`: it decides when a CDR reaches the
   * disk, never what is stored); default 10. 0: every turn of the event loop.
   */
  commitWindowMs?: number;
  /**
   * Where CDRs are inserted and committed: 'thread' (default), a worker thread with its own
   * connection, so that commits (fsyncs) never block the event loop; 'inline', on the
   * storage's connection in the event loop's thread. When the thread cannot start the
   * storage writes inline (see {@link SqliteStorage.cdrWriter}).
   */
  cdrWriter?: 'thread' | 'inline';
}

export const SQLITE_DEFAULTS = Object.freeze({
  file: 'strowger.db',
  busyTimeoutMs: 5_000,
  commitWindowMs: 10,
  cdrWriter: 'thread' as const,
});

/** Applied schema versions, oldest first. */
export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: number;
}

const s = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : (v as string));
const n = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

function setIf<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

function isConstraint(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

/** A database failure as ERR_STORAGE (a StorageError as it is). */
function asStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError('ERR_STORAGE', `database error: ${(err as Error).message}`, { cause: err });
}

/** A CDR waiting for the next inline group commit. */
interface PendingCdr {
  callId: string;
  row: CdrRow;
  resolve(): void;
  reject(e: StorageError): void;
}

/** The refusal of a second CDR with the same callId. */
function duplicateCdr(callId: string, cause: unknown): StorageError {
  return new StorageError('ERR_STORAGE', `cdr.callId ${JSON.stringify(callId)} is already recorded`, {
    field: 'cdr.callId',
    cause,
  });
}

/** The row the CDR insert statement takes. */
function cdrRow(r: CdrRecord): CdrRow {
  return {
    params: {
      callId: r.callId,
      callerNumber: r.caller.number,
      callerName: r.caller.name ?? null,
      calleeNumber: r.callee.number,
      calleeName: r.callee.name ?? null,
      direction: r.direction,
      startedAt: r.startedAt,
      answeredAt: r.answeredAt ?? null,
      endedAt: r.endedAt,
      ringMs: r.ringMs,
      talkMs: r.talkMs,
      totalMs: r.totalMs,
      disposition: r.disposition,
      hangupStatus: r.hangup.status ?? null,
      hangupReason: r.hangup.reason ?? null,
      hangupBy: r.hangup.by,
      legs: JSON.stringify(r.legs),
      extensions: JSON.stringify(r.extensions),
      queue: r.queue ?? null,
      agent: r.agent ?? null,
      trunk: r.trunk ?? null,
    },
    extensions: r.extensions,
  };
}

function cdrFromRow(r: Row): CdrRecord {
  const caller: CdrRecord['caller'] = { number: r.caller_number as string };
  setIf(caller, 'name', s(r.caller_name));
  const callee: CdrRecord['callee'] = { number: r.callee_number as string };
  setIf(callee, 'name', s(r.callee_name));
  const hangup: CdrRecord['hangup'] = { by: r.hangup_by as CdrRecord['hangup']['by'] };
  setIf(hangup, 'status', n(r.hangup_status));
  setIf(hangup, 'reason', s(r.hangup_reason));
  const out: CdrRecord = {
    callId: r.call_id as string,
    caller,
    callee,
    direction: r.direction as CdrRecord['direction'],
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
    disposition: r.disposition as CdrRecord['disposition'],
    hangup,
    legs: JSON.parse(r.legs as string) as JsonObject[],
    extensions: JSON.parse(r.extensions as string) as string[],
    ringMs: Number(r.ring_ms),
    talkMs: Number(r.talk_ms),
    totalMs: Number(r.total_ms),
  };
  setIf(out, 'answeredAt', n(r.answered_at));
  setIf(out, 'queue', s(r.queue));
  setIf(out, 'agent', s(r.agent));
  setIf(out, 'trunk', s(r.trunk));
  return out;
}

function eventFromRow(r: Row): QueueEventRecord {
  const out: QueueEventRecord = {
    seq: Number(r.seq),
    type: r.type as string,
    at: Number(r.at),
    data: JSON.parse(r.data as string) as JsonObject,
  };
  setIf(out, 'queueId', s(r.queue_id));
  setIf(out, 'agentId', s(r.agent_id));
  setIf(out, 'interactionId', s(r.interaction_id));
  return out;
}

function voicemailFromRow(r: Row): VoicemailRecord {
  const out: VoicemailRecord = {
    id: r.id as string,
    mailbox: r.mailbox as string,
    receivedAt: Number(r.received_at),
    durationMs: Number(r.duration_ms),
    file: r.file as string,
    folder: r.folder as VoicemailRecord['folder'],
    heard: Number(r.heard) === 1,
  };
  if (r.caller_number !== null && r.caller_number !== undefined) {
    out.caller = { number: r.caller_number as string };
    setIf(out.caller, 'name', s(r.caller_name));
  }
  setIf(out, 'callId', s(r.call_id));
  return out;
}

function callbackFromRow(r: Row): CallbackRecord {
  const out: CallbackRecord = {
    id: r.id as string,
    queueId: r.queue_id as string,
    number: r.number as string,
    enqueuedAt: Number(r.enqueued_at),
    attempts: Number(r.attempts),
    status: r.status as CallbackRecord['status'],
    updatedAt: Number(r.updated_at),
  };
  setIf(out, 'callerId', s(r.caller_id));
  setIf(out, 'notBefore', n(r.not_before));
  setIf(out, 'notAfter', n(r.not_after));
  setIf(out, 'maxAttempts', n(r.max_attempts));
  setIf(out, 'retryDelayMs', n(r.retry_delay_ms));
  setIf(out, 'priority', n(r.priority));
  if (r.attributes !== null && r.attributes !== undefined) {
    out.attributes = JSON.parse(r.attributes as string) as JsonObject;
  }
  return out;
}

/**
 * Applies the pending migrations in one IMMEDIATE transaction. Refuses a database whose
 * schema is newer than `migrations` knows.
 */
function migrate(db: Db, migrations: readonly Migration[], now: number): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StorageError('ERR_STORAGE', `migrations[${i}].version must be ${i + 1} (got ${m.version})`, {
        field: `migrations[${i}].version`,
      });
    }
  });
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  db.exec('BEGIN IMMEDIATE');
  let current = 0;
  let applying: Migration | undefined;
  try {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as Row | undefined;
    current = Number(row?.v ?? 0);
    if (current > migrations.length) {
      throw new StorageError(
        'ERR_STORAGE',
        `the database schema is version ${current}, newer than this strowger knows (${migrations.length}); upgrade strowger`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations.slice(current)) {
      applying = m;
      db.exec(m.sql);
      record.run(m.version, m.name, now);
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (err instanceof StorageError) throw err;
    throw new StorageError(
      'ERR_STORAGE',
      `migration ${applying?.version} (${applying?.name}) failed, nothing was applied: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly cdrs: CdrStore;
  readonly events: QueueEventLog;
  readonly voicemail: VoicemailIndex;
  readonly callbacks: CallbackStore;
  readonly kv: KeyValueStore;
  #db: Db;
  #closed = false;
  #closing: Promise<void> | undefined;
  #cache = new Map<string, Stmt>();
  /** The CDR writer thread; absent when CDRs are written inline. */
  readonly #writer: CdrWriter | undefined;
  #writerProblem: string | undefined;
  /** CDRs waiting for the next group commit, and its scheduled run. */
  #pendingCdrs: PendingCdr[] = [];
  #cdrFlush: { cancel(): void } | undefined;
  /** realClock.now() of the last group commit, and how many CDRs it held. */
  #lastCommit = Number.NEGATIVE_INFINITY;
  #lastBatch = 0;
  readonly #commitWindowMs: number;
  readonly #flushCdrs: () => void;

  /** Use {@link createSqliteStorage}. */
  constructor(
    db: Db,
    path: string,
    commitWindowMs: number = SQLITE_DEFAULTS.commitWindowMs,
    writer?: CdrWriter,
    writerProblem?: string,
  ) {
    this.#writerProblem = writerProblem;
    this.#db = db;
    this.path = path;
    this.#commitWindowMs = commitWindowMs;
    this.#writer = writer;
    const insertCdr = this.#prepare(INSERT_CDR_SQL);
    const insertExtension = this.#prepare(INSERT_CDR_EXTENSION_SQL);
    const selectCdr = this.#prepare('SELECT * FROM cdrs WHERE call_id = ?');
    const insertOne = (row: CdrRow) => {
      const res = insertCdr.run(row.params);
      for (const ext of row.extensions) insertExtension.run(ext, res.lastInsertRowid);
    };
    const writeCdr = db.transaction(insertOne);
    const writeCdrs = db.transaction((list: readonly PendingCdr[]) => {
      for (const p of list) insertOne(p.row);
    });
    /** One CDR alone: its own transaction, a duplicate callId as a typed error. */
    const writeAlone = (p: PendingCdr): void => {
      try {
        writeCdr(p.row);
      } catch (err) {
        if (isConstraint(err)) throw duplicateCdr(p.callId, err);
        throw err;
      }
    };
    // Group commit: the CDRs written in one turn of the event loop share one transaction
    // (one fsync) on the next turn; once a commit has held several (calls end faster than
    // commits), the next waits until `commitWindowMs` after the previous one, so commits
    // grow instead of the fsyncs multiplying. A lone writer is never delayed. Each promise
    // resolves once its CDR is on disk, as before. When the batch fails (a duplicate callId among
    // them), each is written alone so that only the bad one is refused. The writer thread
    // does the same on its own connection (./cdr-writer.ts).
    this.#flushCdrs = () => {
      this.#cdrFlush?.cancel();
      this.#cdrFlush = undefined;
      this.#lastCommit = realClock.now();
      const batch = this.#pendingCdrs;
      this.#lastBatch = batch.length;
      if (batch.length === 0) return;
      this.#pendingCdrs = [];
      try {
        if (batch.length === 1) writeAlone(batch[0] as PendingCdr);
        else writeCdrs(batch);
      } catch (err) {
        if (batch.length === 1) {
          (batch[0] as PendingCdr).reject(asStorageError(err));
          return;
        }
        for (const p of batch) {
          try {
            writeAlone(p);
            p.resolve();
          } catch (e) {
            p.reject(asStorageError(e));
          }
        }
        return;
      }
      for (const p of batch) p.resolve();
    };
    const writeInline = (p: PendingCdr) => {
      this.#pendingCdrs.push(p);
      if (this.#cdrFlush === undefined) {
        const wait = this.#lastBatch > 1 ? this.#lastCommit + this.#commitWindowMs - realClock.now() : 0;
        if (wait > 0) this.#cdrFlush = realClock.setTimeout(this.#flushCdrs, wait);
        else {
          const im = setImmediate(this.#flushCdrs);
          this.#cdrFlush = { cancel: () => clearImmediate(im) };
        }
      }
    };
    if (writer) {
      // The thread failed: the CDRs it had not answered are written here (a duplicate callId
      // then counts as written: the thread may have committed it before it stopped).
      writer.onFailure = (unanswered, reason) => {
        this.#writerProblem = `the CDR writer thread failed: ${reason}`;
        for (const u of unanswered) {
          writeInline({
            callId: String(u.row.params.callId),
            row: u.row,
            resolve: () => u.waiting.resolve(),
            reject: (e) => {
              if (e.field === 'cdr.callId') u.waiting.resolve();
              else u.waiting.reject({ message: e.message, constraint: false });
            },
          });
        }
      };
    }
    /** What the writer thread's refusal of `record` becomes. */
    const threadFailure = (record: CdrRecord, f: CdrWriteFailure): StorageError =>
      f.constraint
        ? duplicateCdr(record.callId, f)
        : new StorageError('ERR_STORAGE', `database error: ${f.message}`, { cause: f });
    this.cdrs = {
      write: (input) => {
        if (this.#closed) return Promise.reject(closedError());
        let record: CdrRecord;
        try {
          record = normalizeCdr(input);
        } catch (err) {
          return Promise.reject(asStorageError(err));
        }
        const row = cdrRow(record);
        if (this.#writer?.usable) {
          return this.#writer.write(row).then(
            () => record,
            (f: CdrWriteFailure) => {
              throw threadFailure(record, f);
            },
          );
        }
        return new Promise<CdrRecord>((resolve, reject) =>
          writeInline({ callId: record.callId, row, resolve: () => resolve(record), reject }),
        );
      },
      get: async (callId) => {
        await this.#writer?.settled();
        return this.#run(() => {
          this.#flushCdrs();
          const row = selectCdr.get(id(callId, 'callId')) as Row | undefined;
          return row ? cdrFromRow(row) : undefined;
        });
      },
      query: async (query) => {
        await this.#writer?.settled();
        return this.#run(() => {
          this.#flushCdrs();
          const q = normalizeCdrQuery(query);
          const where: string[] = [];
          const params: Record<string, unknown> = { limit: q.limit + 1 };
          if (q.from !== undefined) {
            where.push('started_at >= :from');
            params.from = q.from;
          }
          if (q.to !== undefined) {
            where.push('started_at < :to');
            params.to = q.to;
          }
          if (q.extension !== undefined) {
            where.push('seq IN (SELECT cdr_seq FROM cdr_extensions WHERE extension = :extension)');
            params.extension = q.extension;
          }
          if (q.dispositions !== undefined) {
            where.push('disposition IN (SELECT value FROM json_each(:dispositions))');
            params.dispositions = JSON.stringify(q.dispositions);
          }
          for (const [col, v] of [
            ['direction', q.direction],
            ['queue', q.queue],
            ['agent', q.agent],
          ] as const) {
            if (v === undefined) continue;
            where.push(`${col} = :${col}`);
            params[col] = v;
          }
          const desc = q.order === 'desc';
          if (q.after !== undefined) {
            where.push(`(started_at, seq) ${desc ? '<' : '>'} (:afterStart, :afterSeq)`);
            params.afterStart = q.after[0];
            params.afterSeq = q.after[1];
          }
          const dir = desc ? 'DESC' : 'ASC';
          const sql = `SELECT * FROM cdrs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at ${dir}, seq ${dir} LIMIT :limit`;
          const rows = this.#prepare(sql).all(params) as Row[];
          const page: Page<CdrRecord> = {
            items: rows.slice(0, q.limit).map(cdrFromRow),
          };
          if (rows.length > q.limit) {
            const last = rows[q.limit - 1] as Row;
            page.nextCursor = encodeCursor([Number(last.started_at), Number(last.seq)]);
          }
          return page;
        });
      },
    };

    const insertEvent = this.#prepare(
      'INSERT INTO queue_events (type, at, queue_id, agent_id, interaction_id, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const appendEvents = db.transaction((list: ReturnType<typeof normalizeEvents>) =>
      list.map((e) => {
        const res = insertEvent.run(
          e.type,
          e.at,
          e.queueId ?? null,
          e.agentId ?? null,
          e.interactionId ?? null,
          JSON.stringify(e.data),
        );
        return { ...e, seq: Number(res.lastInsertRowid) } as QueueEventRecord;
      }),
    );
    this.events = {
      append: (input) => this.#run(() => appendEvents(normalizeEvents(input))),
      query: (query) =>
        this.#run(() => {
          const q = normalizeEventQuery(query);
          const where = ['seq > :afterSeq'];
          const params: Record<string, unknown> = { afterSeq: q.afterSeq, limit: q.limit + 1 };
          if (q.from !== undefined) {
            where.push('at >= :from');
            params.from = q.from;
          }
          if (q.to !== undefined) {
            where.push('at < :to');
            params.to = q.to;
          }
          for (const [col, name, v] of [
            ['queue_id', 'queueId', q.queueId],
            ['agent_id', 'agentId', q.agentId],
            ['interaction_id', 'interactionId', q.interactionId],
          ] as const) {
            if (v === undefined) continue;
            where.push(`${col} = :${name}`);
            params[name] = v;
          }
          if (q.types !== undefined) {
            where.push('type IN (SELECT value FROM json_each(:types))');
            params.types = JSON.stringify(q.types);
          }
          const sql = `SELECT * FROM queue_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT :limit`;
          const rows = this.#prepare(sql).all(params) as Row[];
          const items = rows.slice(0, q.limit).map(eventFromRow);
          const page: Page<QueueEventRecord> = { items };
          const last = items[items.length - 1];
          if (rows.length > q.limit && last) page.nextCursor = encodeCursor([last.seq]);
          return page;
        }),
    };

    const insertVm = this.#prepare(`
      INSERT INTO voicemail (id, mailbox, caller_number, caller_name, received_at, duration_ms, file, folder, heard, call_id)
      VALUES (:id, :mailbox, :callerNumber, :callerName, :receivedAt, :durationMs, :file, :folder, 0, :callId)`);
    const selectVm = this.#prepare('SELECT * FROM voicemail WHERE id = ?');
    const listVm = this.#prepare(
      'SELECT * FROM voicemail WHERE mailbox = ? ORDER BY received_at DESC, id DESC',
    );
    const listVmFolder = this.#prepare(
      'SELECT * FROM voicemail WHERE mailbox = ? AND folder = ? ORDER BY received_at DESC, id DESC',
    );
    const updateVm = this.#prepare(
      'UPDATE voicemail SET folder = COALESCE(:folder, folder), heard = COALESCE(:heard, heard) WHERE id = :id',
    );
    const deleteVm = this.#prepare('DELETE FROM voicemail WHERE id = ?');
    const countVm = this.#prepare(
      'SELECT COALESCE(SUM(heard = 0), 0) AS unheard, COALESCE(SUM(heard = 1), 0) AS heard FROM voicemail WHERE mailbox = ?',
    );
    this.voicemail = {
      add: (input) =>
        this.#run(() => {
          const r = normalizeVoicemail(input);
          try {
            insertVm.run({
              id: r.id,
              mailbox: r.mailbox,
              callerNumber: r.caller?.number ?? null,
              callerName: r.caller?.name ?? null,
              receivedAt: r.receivedAt,
              durationMs: r.durationMs,
              file: r.file,
              folder: r.folder,
              callId: r.callId ?? null,
            });
          } catch (err) {
            if (isConstraint(err)) {
              throw new StorageError('ERR_STORAGE', `voicemail.id ${JSON.stringify(r.id)} already exists`, {
                field: 'voicemail.id',
                cause: err,
              });
            }
            throw err;
          }
          return r;
        }),
      get: (messageId) =>
        this.#run(() => {
          const row = selectVm.get(id(messageId, 'id')) as Row | undefined;
          return row ? voicemailFromRow(row) : undefined;
        }),
      list: (mailbox, options = {}) =>
        this.#run(() => {
          const box = str(mailbox, 'mailbox', 128);
          const rows =
            options.folder === undefined
              ? listVm.all(box)
              : listVmFolder.all(box, voicemailFolder(options.folder));
          return (rows as Row[]).map(voicemailFromRow);
        }),
      update: (messageId, patch) =>
        this.#run(() => {
          const k = id(messageId, 'id');
          const p = normalizeVoicemailPatch(patch);
          updateVm.run({
            id: k,
            folder: p.folder ?? null,
            heard: p.heard === undefined ? null : p.heard ? 1 : 0,
          });
          const row = selectVm.get(k) as Row | undefined;
          return row ? voicemailFromRow(row) : undefined;
        }),
      remove: (messageId) => this.#run(() => deleteVm.run(id(messageId, 'id')).changes > 0),
      counts: (mailbox) =>
        this.#run(() => {
          const row = countVm.get(str(mailbox, 'mailbox', 128)) as Row;
          return { unheard: Number(row.unheard), heard: Number(row.heard) };
        }),
    };

    const upsertCb = this.#prepare(`
      INSERT OR REPLACE INTO callbacks (id, queue_id, number, caller_id, enqueued_at, not_before, not_after,
        attempts, max_attempts, retry_delay_ms, priority, attributes, status, updated_at)
      VALUES (:id, :queueId, :number, :callerId, :enqueuedAt, :notBefore, :notAfter,
        :attempts, :maxAttempts, :retryDelayMs, :priority, :attributes, :status, :updatedAt)`);
    const selectCb = this.#prepare('SELECT * FROM callbacks WHERE id = ?');
    const deleteCb = this.#prepare('DELETE FROM callbacks WHERE id = ?');
    const listCb = this.#prepare(`
      SELECT * FROM callbacks
      WHERE (:queueId IS NULL OR queue_id = :queueId) AND (:status IS NULL OR status = :status)
      ORDER BY enqueued_at, id`);
    this.callbacks = {
      save: (input) =>
        this.#run(() => {
          const r = normalizeCallback(input);
          upsertCb.run({
            id: r.id,
            queueId: r.queueId,
            number: r.number,
            callerId: r.callerId ?? null,
            enqueuedAt: r.enqueuedAt,
            notBefore: r.notBefore ?? null,
            notAfter: r.notAfter ?? null,
            attempts: r.attempts,
            maxAttempts: r.maxAttempts ?? null,
            retryDelayMs: r.retryDelayMs ?? null,
            priority: r.priority ?? null,
            attributes: r.attributes === undefined ? null : JSON.stringify(r.attributes),
            status: r.status,
            updatedAt: r.updatedAt,
          });
        }),
      get: (cbId) =>
        this.#run(() => {
          const row = selectCb.get(id(cbId, 'id')) as Row | undefined;
          return row ? callbackFromRow(row) : undefined;
        }),
      list: (filter = {}) =>
        this.#run(() => {
          const queueId = filter.queueId === undefined ? null : str(filter.queueId, 'filter.queueId');
          const status = filter.status === undefined ? null : callbackStatus(filter.status);
          return (listCb.all({ queueId, status }) as Row[]).map(callbackFromRow);
        }),
      remove: (cbId) => this.#run(() => deleteCb.run(id(cbId, 'id')).changes > 0),
    };

    const getKv = this.#prepare('SELECT value FROM kv WHERE key = ?');
    const setKv = this.#prepare('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
    const deleteKv = this.#prepare('DELETE FROM kv WHERE key = ?');
    const listKv = this.#prepare(
      'SELECT key, value FROM kv WHERE substr(CAST(key AS BLOB), 1, ?) = ? ORDER BY CAST(key AS BLOB)',
    );
    this.kv = {
      get: (k) =>
        this.#run(() => {
          const row = getKv.get(key(k)) as Row | undefined;
          return row ? (JSON.parse(row.value as string) as JsonValue) : undefined;
        }),
      set: (k, value) =>
        this.#run(() => {
          const name = key(k);
          if (value === undefined)
            throw new StorageError('ERR_STORAGE', 'value must be JSON data', { field: 'value' });
          setKv.run(name, JSON.stringify(json(value, 'value')));
        }),
      delete: (k) => this.#run(() => deleteKv.run(key(k)).changes > 0),
      list: (prefix = '') =>
        this.#run(() => {
          if (prefix !== '') key(prefix, 'prefix');
          const p = Buffer.from(prefix, 'utf8');
          return (listKv.all(p.length, p) as Row[]).map((r) => ({
            key: r.key as string,
            value: JSON.parse(r.value as string) as JsonValue,
          }));
        }),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The schema versions applied to this database. */
  async migrations(): Promise<AppliedMigration[]> {
    return this.#run(() =>
      (this.#db.prepare('SELECT * FROM schema_migrations ORDER BY version').all() as Row[]).map((r) => ({
        version: Number(r.version),
        name: r.name as string,
        appliedAt: Number(r.applied_at),
      })),
    );
  }

  /** Closes the database. Idempotent. */
  /** Where CDRs are committed: on the writer thread, or inline (configured so, or the thread could not start or failed). */
  get cdrWriter(): 'thread' | 'inline' {
    return this.#writer && !this.#writer.failed ? 'thread' : 'inline';
  }

  /**
   * Why CDRs are committed inline although the thread was asked for (it could not start,
   * or it failed); undefined otherwise. The switch logs it as a warning.
   */
  get cdrWriterProblem(): string | undefined {
    return this.#writerProblem;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true; // no new writes; CDRs already accepted are written
      await this.#writer?.close();
      this.#flushCdrs();
      this.#cache.clear();
      this.#db.close();
    })();
    return this.#closing;
  }

  #prepare(sql: string): Stmt {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs a synchronous database step as a promise; database failures become ERR_STORAGE. */
  #run<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(asStorageError(err));
    }
  }
}

/**
 * Opens (creating when missing) the SQLite database in `dataDir`, switches it to WAL,
 * and applies pending migrations in one transaction.
 */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const dataDir = str(options?.dataDir, 'options.dataDir', 4096);
  const file = options.file === undefined ? SQLITE_DEFAULTS.file : str(options.file, 'options.file', 4096);
  const path = isAbsolute(file) ? file : join(dataDir, file);
  const clock = options.clock ?? realClock;
  const window = options.commitWindowMs ?? SQLITE_DEFAULTS.commitWindowMs;
  if (typeof window !== 'number' || !(window >= 0 && window <= 1000))
    throw new StorageError('ERR_STORAGE', 'options.commitWindowMs must be 0-1000', {
      field: 'options.commitWindowMs',
    });
  const cdrWriter = options.cdrWriter ?? SQLITE_DEFAULTS.cdrWriter;
  if (cdrWriter !== 'thread' && cdrWriter !== 'inline')
    throw new StorageError('ERR_STORAGE', "options.cdrWriter must be 'thread' or 'inline'", {
      field: 'options.cdrWriter',
    });
  let Database: typeof LibsqlDatabase;
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true });
    Database = (await import('libsql')).default;
    db = new Database(path, { timeout: options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs });
  } catch (err) {
    throw new StorageError('ERR_STORAGE', `cannot open the database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const mode = db.pragma('journal_mode = WAL') as Row[];
    if (String(mode[0]?.journal_mode).toLowerCase() !== 'wal') {
      throw new StorageError(
        'ERR_STORAGE',
        `cannot switch ${path} to WAL mode (got ${mode[0]?.journal_mode})`,
      );
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS, clock.wallTime());
  } catch (err) {
    db.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError('ERR_STORAGE', `cannot open the database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs;
  let writer: CdrWriter | undefined;
  let writerProblem: string | undefined;
  if (cdrWriter === 'thread') {
    // without the thread (it cannot start here) the CDRs are written inline: same guarantees
    writer = await CdrWriter.start({ path, busyTimeoutMs, commitWindowMs: window }).catch((err: Error) => {
      writerProblem = `the CDR writer thread could not start: ${err.message}`;
      return undefined;
    });
  }
  try {
    return new SqliteStorage(db, path, window, writer, writerProblem);
  } catch (err) {
    await writer?.close();
    db.close();
    if (err instanceof StorageError) throw err;
    throw new StorageError('ERR_STORAGE', `cannot open the database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
