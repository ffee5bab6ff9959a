/**
 * The storage contract of the switch. Every method is async so that a server-backed
 * implementation (PostgreSQL for CDRs and reports) can satisfy the same interface as the
 * embedded SQLite default and the in-memory one; a contract test suite
 * (test/switch/storage-contract.ts) runs against each.
 *
 * Times are wall-clock milliseconds since the Unix epoch (`clock.wallTime()`); ids are
 * strings chosen by the switch (call ids, interaction ids, voicemail message ids).
 */

/** A JSON value: what `legs`, event `data`, callback `attributes` and key-value values may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A page of results and the cursor that fetches the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` for the next page. Absent when there is no more. */
  nextCursor?: string;
}

/** Paging options shared by the queries: at most `limit` items (1–1000, default 100). */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

// ---------------------------------------------------------------------------------------
// CDRs

export type CallDirection = 'inbound' | 'outbound' | 'internal';
export type CallDisposition = 'answered' | 'busy' | 'no-answer' | 'failed' | 'cancelled';
export const CALL_DIRECTIONS: readonly CallDirection[] = Object.freeze(['inbound', 'outbound', 'internal']);
export const CALL_DISPOSITIONS: readonly CallDisposition[] = Object.freeze([
  'answered',
  'busy',
  'no-answer',
  'failed',
  'cancelled',
]);

/** A party of a call: the number (user part or extension) and the display name when known. */
export interface CdrParty {
  number: string;
  name?: string;
}

/** Who ended the call. */
export type HangupBy = 'caller' | 'callee' | 'system';

export interface CdrHangup {
  /** SIP status of the final response or the BYE's cause (e.g. 486, 487, 200). */
  status?: number;
  /** Reason phrase or Reason header text. */
  reason?: string;
  by: HangupBy;
}

/** What the switch records for one call; the storage computes the durations. */
export interface CdrInput {
  /** Unique per call (the switch's call id, not a SIP Call-ID of one leg). */
  callId: string;
  caller: CdrParty;
  callee: CdrParty;
  direction: CallDirection;
  /** When the call arrived (wall ms). */
  startedAt: number;
  /** When it was answered; absent when it never was. Required when disposition is 'answered'. */
  answeredAt?: number;
  endedAt: number;
  disposition: CallDisposition;
  hangup: CdrHangup;
  /** The legs as the switch describes them (JSON objects; stored as they are). */
  legs?: JsonObject[];
  /** Local extensions involved, for per-extension queries (default: caller and callee numbers). */
  extensions?: string[];
  queue?: string;
  agent?: string;
  trunk?: string;
}

/** A stored CDR: the input plus durations in ms. */
export interface CdrRecord extends CdrInput {
  legs: JsonObject[];
  extensions: string[];
  /** startedAt → answeredAt, or → endedAt when never answered. */
  ringMs: number;
  /** answeredAt → endedAt; 0 when never answered. */
  talkMs: number;
  /** startedAt → endedAt. */
  totalMs: number;
}

export interface CdrQuery extends PageOptions {
  /** Calls that started at or after this time (wall ms). */
  from?: number;
  /** Calls that started before this time (wall ms, exclusive). */
  to?: number;
  /** Calls involving this extension (see {@link CdrInput.extensions}). */
  extension?: string;
  disposition?: CallDisposition | readonly CallDisposition[];
  direction?: CallDirection;
  queue?: string;
  agent?: string;
  /** Newest first (default) or oldest first, by start time. */
  order?: 'desc' | 'asc';
}

export interface CdrStore {
  /** Records one call; durable when the promise resolves. A second write of the same callId fails. */
  write(cdr: CdrInput): Promise<CdrRecord>;
  get(callId: string): Promise<CdrRecord | undefined>;
  query(query?: CdrQuery): Promise<Page<CdrRecord>>;
}

// ---------------------------------------------------------------------------------------
// Queue / agent event log

/** One queue or agent event (an ACD event, an agent login, a disposition, …). */
export interface QueueEventInput {
  /** Event name, e.g. 'queued', 'connected', 'agentState' (1–64 chars). */
  type: string;
  /** When it happened (wall ms). */
  at: number;
  queueId?: string;
  agentId?: string;
  interactionId?: string;
  data?: JsonObject;
}

/** A stored event: `seq` increases by append order and never repeats. */
export interface QueueEventRecord extends QueueEventInput {
  seq: number;
  data: JsonObject;
}

export interface QueueEventQuery extends PageOptions {
  /** Only events with `seq` greater than this (resume after the last one seen). */
  afterSeq?: number;
  from?: number;
  to?: number;
  queueId?: string;
  agentId?: string;
  interactionId?: string;
  type?: string | readonly string[];
}

export interface QueueEventLog {
  /** Appends events in order, atomically; durable when the promise resolves. */
  append(events: QueueEventInput | readonly QueueEventInput[]): Promise<QueueEventRecord[]>;
  /** Events in `seq` order (oldest first). */
  query(query?: QueueEventQuery): Promise<Page<QueueEventRecord>>;
}

// ---------------------------------------------------------------------------------------
// Voicemail index (the audio lives in WAV files in the data directory)

export type VoicemailFolder = 'inbox' | 'old' | 'saved';
export const VOICEMAIL_FOLDERS: readonly VoicemailFolder[] = Object.freeze(['inbox', 'old', 'saved']);

export interface VoicemailInput {
  /** Chosen by the switch; the WAV file is usually named after it. */
  id: string;
  /** The mailbox (an extension). */
  mailbox: string;
  caller?: CdrParty;
  receivedAt: number;
  durationMs: number;
  /** Path of the WAV file, relative to the data directory. */
  file: string;
  /** Default 'inbox'. */
  folder?: VoicemailFolder;
  /** The call that left it. */
  callId?: string;
}

export interface VoicemailRecord extends VoicemailInput {
  folder: VoicemailFolder;
  heard: boolean;
}

export interface VoicemailIndex {
  add(message: VoicemailInput): Promise<VoicemailRecord>;
  get(id: string): Promise<VoicemailRecord | undefined>;
  /** A mailbox's messages, newest first, optionally of one folder. */
  list(mailbox: string, options?: { folder?: VoicemailFolder }): Promise<VoicemailRecord[]>;
  /** Moves a message or marks it heard; resolves undefined when there is no such message. */
  update(
    id: string,
    patch: { folder?: VoicemailFolder; heard?: boolean },
  ): Promise<VoicemailRecord | undefined>;
  /** Resolves true when a message was removed. */
  remove(id: string): Promise<boolean>;
  /** Message-waiting counts (RFC 3842 new/old): messages not yet heard, and heard ones, in every folder. */
  counts(mailbox: string): Promise<{ unheard: number; heard: number }>;
}

// ---------------------------------------------------------------------------------------
// Callbacks (ACD callbacks survive a restart)

export type CallbackStatus = 'pending' | 'done' | 'failed';
export const CALLBACK_STATUSES: readonly CallbackStatus[] = Object.freeze(['pending', 'done', 'failed']);

/** A callback as the switch persists it; mirrors the ACD's CallbackRequest and view. */
export interface CallbackRecord {
  /** The ACD interaction id. */
  id: string;
  queueId: string;
  /** The number to call. */
  number: string;
  callerId?: string;
  /** When the caller first joined (wall ms): re-enqueued callbacks keep their place. */
  enqueuedAt: number;
  notBefore?: number;
  notAfter?: number;
  attempts: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  priority?: number;
  attributes?: JsonObject;
  status: CallbackStatus;
  updatedAt: number;
}

export interface CallbackStore {
  /** Inserts or replaces the callback with this id. */
  save(callback: CallbackRecord): Promise<void>;
  get(id: string): Promise<CallbackRecord | undefined>;
  /** Callbacks by enqueue time (oldest first). */
  list(filter?: { queueId?: string; status?: CallbackStatus }): Promise<CallbackRecord[]>;
  remove(id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------
// Key-value for small state (feature flags, DND, last agent login, …)

export interface KeyValueStore {
  get(key: string): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Entries whose key starts with `prefix` (all when omitted), sorted by key. */
  list(prefix?: string): Promise<{ key: string; value: JsonValue }[]>;
}

// ---------------------------------------------------------------------------------------

/** Everything the switch stores. `close()` is idempotent; later calls reject with ERR_CLOSED. */
export interface Storage {
  /** 'sqlite', 'memory', later 'postgres'. */
  readonly kind: string;
  readonly cdrs: CdrStore;
  readonly events: QueueEventLog;
  readonly voicemail: VoicemailIndex;
  readonly callbacks: CallbackStore;
  readonly kv: KeyValueStore;
  readonly closed: boolean;
  close(): Promise<void>;
}
