/**
 * Numbered schema migrations of the SQLite storage. Append only: a released migration is
 * never edited, a change is a new one. `schema_migrations` records what was applied; all
 * pending migrations run at open in one transaction, so a database is never left half
 * migrated.
 */

export interface Migration {
  /** 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  /** One or more SQL statements. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'cdrs, queue events, voicemail, callbacks, kv',
    sql: `
      CREATE TABLE cdrs (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id        TEXT NOT NULL UNIQUE,
        caller_number  TEXT NOT NULL,
        caller_name    TEXT,
        callee_number  TEXT NOT NULL,
        callee_name    TEXT,
        direction      TEXT NOT NULL,
        started_at     INTEGER NOT NULL,
        answered_at    INTEGER,
        ended_at       INTEGER NOT NULL,
        ring_ms        INTEGER NOT NULL,
        talk_ms        INTEGER NOT NULL,
        total_ms       INTEGER NOT NULL,
        disposition    TEXT NOT NULL,
        hangup_status  INTEGER,
        hangup_reason  TEXT,
        hangup_by      TEXT NOT NULL,
        legs           TEXT NOT NULL,
        extensions     TEXT NOT NULL,
        queue          TEXT,
        agent          TEXT,
        trunk          TEXT
      );
      CREATE INDEX cdrs_started ON cdrs (started_at, seq);
      CREATE INDEX cdrs_queue ON cdrs (queue, started_at) WHERE queue IS NOT NULL;
      CREATE INDEX cdrs_agent ON cdrs (agent, started_at) WHERE agent IS NOT NULL;
      CREATE TABLE cdr_extensions (
        extension  TEXT NOT NULL,
        cdr_seq    INTEGER NOT NULL REFERENCES cdrs (seq) ON DELETE CASCADE,
        PRIMARY KEY (extension, cdr_seq)
      ) WITHOUT ROWID;
      CREATE INDEX cdr_extensions_seq ON cdr_extensions (cdr_seq);

      CREATE TABLE queue_events (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        type            TEXT NOT NULL,
        at              INTEGER NOT NULL,
        queue_id        TEXT,
        agent_id        TEXT,
        interaction_id  TEXT,
        data            TEXT NOT NULL
      );
      CREATE INDEX queue_events_at ON queue_events (at);
      CREATE INDEX queue_events_queue ON queue_events (queue_id, seq) WHERE queue_id IS NOT NULL;
      CREATE INDEX queue_events_agent ON queue_events (agent_id, seq) WHERE agent_id IS NOT NULL;
      CREATE INDEX queue_events_interaction ON queue_events (interaction_id, seq) WHERE interaction_id IS NOT NULL;

      CREATE TABLE voicemail (
        id             TEXT PRIMARY KEY,
        mailbox        TEXT NOT NULL,
        caller_number  TEXT,
        caller_name    TEXT,
        received_at    INTEGER NOT NULL,
        duration_ms    INTEGER NOT NULL,
        file           TEXT NOT NULL,
        folder         TEXT NOT NULL,
        heard          INTEGER NOT NULL DEFAULT 0,
        call_id        TEXT
      );
      CREATE INDEX voicemail_mailbox ON voicemail (mailbox, received_at);

      CREATE TABLE callbacks (
        id              TEXT PRIMARY KEY,
        queue_id        TEXT NOT NULL,
        number          TEXT NOT NULL,
        caller_id       TEXT,
        enqueued_at     INTEGER NOT NULL,
        not_before      INTEGER,
        not_after       INTEGER,
        attempts        INTEGER NOT NULL,
        max_attempts    INTEGER,
        retry_delay_ms  INTEGER,
        priority        REAL,
        attributes      TEXT,
        status          TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
      );
      CREATE INDEX callbacks_queue ON callbacks (queue_id, enqueued_at);

      CREATE TABLE kv (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      );
    `,
  },
]);
