/**
 * Input checks and normalisation shared by every Storage implementation, so that they
 * accept and reject exactly the same inputs and return the same records.
 */
import { check, StorageError } from './errors.js';
import {
  CALL_DIRECTIONS,
  CALL_DISPOSITIONS,
  CALLBACK_STATUSES,
  type CallbackRecord,
  type CdrParty,
  type CdrQuery,
  type CdrRecord,
  type JsonObject,
  type JsonValue,
  type QueueEventInput,
  type QueueEventQuery,
  type QueueEventRecord,
  VOICEMAIL_FOLDERS,
  type VoicemailRecord,
} from './types.js';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;
const MAX_ID = 256;
const MAX_JSON_DEPTH = 32;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown, field: string, max = MAX_ID): string {
  if (typeof v === 'string' && v.length > 0 && v.length <= max) return v;
  check(false, field, `a non-empty string of at most ${max} chars`);
}

export function optStr(v: unknown, field: string, max = MAX_ID): string | undefined {
  return v === undefined ? undefined : str(v, field, max);
}

export function time(v: unknown, field: string): number {
  check(Number.isSafeInteger(v) && (v as number) >= 0, field, 'a whole number of ms >= 0');
  return v as number;
}

export function optTime(v: unknown, field: string): number | undefined {
  return v === undefined ? undefined : time(v, field);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  check(
    typeof v === 'string' && (allowed as readonly string[]).includes(v),
    field,
    `one of ${allowed.join(', ')}`,
  );
  return v as T;
}

/** A deep copy of a JSON value, checked: finite numbers, plain objects, no cycles. */
export function json(v: unknown, field: string): JsonValue {
  return copyJson(v, field, []);
}

/** `field` and the keys below it, as a path (only built for an error message). */
function pathOf(field: string, keys: readonly (string | number)[]): string {
  let out = field;
  for (const k of keys) out += typeof k === 'number' ? `[${k}]` : `.${k}`;
  return out;
}

function copyJson(v: unknown, field: string, keys: (string | number)[]): JsonValue {
  if (keys.length > MAX_JSON_DEPTH) {
    const at = pathOf(field, keys);
    throw new StorageError('ERR_STORAGE', `${at} is nested too deep`, { field: at });
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) check(false, pathOf(field, keys), 'a finite number');
    return v === 0 ? 0 : v; // -0 does not survive JSON
  }
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      keys.push(i);
      out[i] = copyJson(v[i], field, keys);
      keys.pop();
    }
    return out;
  }
  if (isObject(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === undefined) continue;
      keys.push(k);
      const value = copyJson(x, field, keys);
      keys.pop();
      // defineProperty: a "__proto__" key stays an ordinary key, as JSON.parse makes it.
      if (k === '__proto__')
        Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
      else out[k] = value;
    }
    return out;
  }
  const at = pathOf(field, keys);
  throw new StorageError('ERR_STORAGE', `${at} must be JSON data (got ${typeof v})`, { field: at });
}

export function jsonObject(v: unknown, field: string): JsonObject {
  check(isObject(v), field, 'a JSON object');
  return json(v, field) as JsonObject;
}

function party(v: unknown, field: string): CdrParty {
  check(isObject(v), field, 'an object { number, name? }');
  const out: CdrParty = { number: str(v.number, `${field}.number`, 128) };
  const name = v.name === undefined ? undefined : str(v.name, `${field}.name`);
  if (name !== undefined) out.name = name;
  return out;
}

function setIf<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** Checks a CDR and computes its durations. */
export function normalizeCdr(input: unknown): CdrRecord {
  check(isObject(input), 'cdr', 'an object');
  const c = input as Record<string, unknown>;
  const callId = str(c.callId, 'cdr.callId');
  const caller = party(c.caller, 'cdr.caller');
  const callee = party(c.callee, 'cdr.callee');
  const direction = oneOf(c.direction, CALL_DIRECTIONS, 'cdr.direction');
  const startedAt = time(c.startedAt, 'cdr.startedAt');
  const endedAt = time(c.endedAt, 'cdr.endedAt');
  check(endedAt >= startedAt, 'cdr.endedAt', 'at or after cdr.startedAt');
  const disposition = oneOf(c.disposition, CALL_DISPOSITIONS, 'cdr.disposition');
  const answeredAt = optTime(c.answeredAt, 'cdr.answeredAt');
  if (answeredAt !== undefined) {
    check(
      answeredAt >= startedAt && answeredAt <= endedAt,
      'cdr.answeredAt',
      'between startedAt and endedAt',
    );
  }
  check(
    (disposition === 'answered') === (answeredAt !== undefined),
    'cdr.answeredAt',
    disposition === 'answered'
      ? "set when disposition is 'answered'"
      : "absent unless disposition is 'answered'",
  );
  check(isObject(c.hangup), 'cdr.hangup', 'an object { by, status?, reason? }');
  const h = c.hangup as Record<string, unknown>;
  const hangup: CdrRecord['hangup'] = {
    by: oneOf(h.by, ['caller', 'callee', 'system'] as const, 'cdr.hangup.by'),
  };
  if (h.status !== undefined) {
    check(
      Number.isInteger(h.status) && (h.status as number) >= 100 && (h.status as number) <= 699,
      'cdr.hangup.status',
      'a SIP status 100-699',
    );
    hangup.status = h.status as number;
  }
  setIf(hangup, 'reason', h.reason === undefined ? undefined : str(h.reason, 'cdr.hangup.reason', 1024));
  let legs: JsonObject[] = [];
  if (c.legs !== undefined) {
    check(Array.isArray(c.legs), 'cdr.legs', 'an array of JSON objects');
    legs = (c.legs as unknown[]).map((l, i) => jsonObject(l, `cdr.legs[${i}]`));
  }
  let extensions: string[];
  if (c.extensions !== undefined) {
    check(Array.isArray(c.extensions), 'cdr.extensions', 'an array of strings');
    extensions = (c.extensions as unknown[]).map((x, i) => str(x, `cdr.extensions[${i}]`, 128));
  } else {
    extensions = [caller.number, callee.number];
  }
  extensions = [...new Set(extensions)];
  const out: CdrRecord = {
    callId,
    caller,
    callee,
    direction,
    startedAt,
    endedAt,
    disposition,
    hangup,
    legs,
    extensions,
    ringMs: (answeredAt ?? endedAt) - startedAt,
    talkMs: answeredAt === undefined ? 0 : endedAt - answeredAt,
    totalMs: endedAt - startedAt,
  };
  setIf(out, 'answeredAt', answeredAt);
  setIf(out, 'queue', optStr(c.queue, 'cdr.queue'));
  setIf(out, 'agent', optStr(c.agent, 'cdr.agent'));
  setIf(out, 'trunk', optStr(c.trunk, 'cdr.trunk'));
  return out;
}

export function pageLimit(v: unknown, field: string): number {
  if (v === undefined) return DEFAULT_PAGE;
  check(
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_PAGE,
    field,
    `an integer 1-${MAX_PAGE}`,
  );
  return v as number;
}

export interface NormalizedCdrQuery {
  from: number | undefined;
  to: number | undefined;
  extension: string | undefined;
  dispositions: string[] | undefined;
  direction: string | undefined;
  queue: string | undefined;
  agent: string | undefined;
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset position: the (startedAt, seq) of the last row of the previous page. */
  after: [number, number] | undefined;
}

export function normalizeCdrQuery(q: CdrQuery = {}): NormalizedCdrQuery {
  check(isObject(q), 'query', 'an object');
  let dispositions: string[] | undefined;
  if (q.disposition !== undefined) {
    const list = typeof q.disposition === 'string' ? [q.disposition] : q.disposition;
    check(Array.isArray(list), 'query.disposition', 'a disposition or an array of them');
    dispositions = list.map((d, i) => oneOf(d, CALL_DISPOSITIONS, `query.disposition[${i}]`));
  }
  const order = q.order === undefined ? 'desc' : oneOf(q.order, ['asc', 'desc'] as const, 'query.order');
  return {
    from: optTime(q.from, 'query.from'),
    to: optTime(q.to, 'query.to'),
    extension: optStr(q.extension, 'query.extension', 128),
    dispositions,
    direction: q.direction === undefined ? undefined : oneOf(q.direction, CALL_DIRECTIONS, 'query.direction'),
    queue: optStr(q.queue, 'query.queue'),
    agent: optStr(q.agent, 'query.agent'),
    order,
    limit: pageLimit(q.limit, 'query.limit'),
    after: q.cursor === undefined ? undefined : decodeCursor(q.cursor, 2, 'query.cursor'),
  } as NormalizedCdrQuery;
}

/** Cursors are base64url JSON arrays of integers; opaque to callers. */
export function encodeCursor(parts: readonly number[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown, n: number, field: string): [number, number] {
  let parts: unknown;
  try {
    check(
      typeof cursor === 'string' && cursor.length > 0 && cursor.length < 200,
      field,
      'a cursor from a previous page',
    );
    parts = JSON.parse(Buffer.from(cursor as string, 'base64url').toString('utf8'));
  } catch (err) {
    if (err instanceof StorageError) throw err;
    parts = undefined;
  }
  check(
    Array.isArray(parts) && parts.length === n && parts.every((p) => Number.isSafeInteger(p)),
    field,
    'a cursor from a previous page',
  );
  return parts as [number, number];
}

export function normalizeEvent(v: unknown, field: string): QueueEventInput & { data: JsonObject } {
  check(isObject(v), field, 'an object { type, at, queueId?, agentId?, interactionId?, data? }');
  const out: QueueEventInput & { data: JsonObject } = {
    type: str(v.type, `${field}.type`, 64),
    at: time(v.at, `${field}.at`),
    data: v.data === undefined ? {} : jsonObject(v.data, `${field}.data`),
  };
  setIf(out, 'queueId', optStr(v.queueId, `${field}.queueId`));
  setIf(out, 'agentId', optStr(v.agentId, `${field}.agentId`));
  setIf(out, 'interactionId', optStr(v.interactionId, `${field}.interactionId`));
  return out;
}

export function normalizeEvents(events: unknown): (QueueEventInput & { data: JsonObject })[] {
  if (Array.isArray(events)) return events.map((e, i) => normalizeEvent(e, `events[${i}]`));
  return [normalizeEvent(events, 'event')];
}

export interface NormalizedEventQuery {
  afterSeq: number;
  from: number | undefined;
  to: number | undefined;
  queueId: string | undefined;
  agentId: string | undefined;
  interactionId: string | undefined;
  types: string[] | undefined;
  limit: number;
}

export function normalizeEventQuery(q: QueueEventQuery = {}): NormalizedEventQuery {
  check(isObject(q), 'query', 'an object');
  const rawAfter: unknown = q.afterSeq === undefined ? 0 : q.afterSeq;
  check(Number.isSafeInteger(rawAfter) && (rawAfter as number) >= 0, 'query.afterSeq', 'an integer >= 0');
  let afterSeq = rawAfter as number;
  if (q.cursor !== undefined) afterSeq = Math.max(afterSeq, decodeCursor(q.cursor, 1, 'query.cursor')[0]);
  let types: string[] | undefined;
  if (q.type !== undefined) {
    const list = typeof q.type === 'string' ? [q.type] : q.type;
    check(Array.isArray(list), 'query.type', 'an event type or an array of them');
    types = list.map((t, i) => str(t, `query.type[${i}]`, 64));
  }
  return {
    afterSeq,
    from: optTime(q.from, 'query.from'),
    to: optTime(q.to, 'query.to'),
    queueId: optStr(q.queueId, 'query.queueId'),
    agentId: optStr(q.agentId, 'query.agentId'),
    interactionId: optStr(q.interactionId, 'query.interactionId'),
    types,
    limit: pageLimit(q.limit, 'query.limit'),
  };
}

export function eventMatches(e: QueueEventRecord, q: NormalizedEventQuery): boolean {
  return (
    e.seq > q.afterSeq &&
    (q.from === undefined || e.at >= q.from) &&
    (q.to === undefined || e.at < q.to) &&
    (q.queueId === undefined || e.queueId === q.queueId) &&
    (q.agentId === undefined || e.agentId === q.agentId) &&
    (q.interactionId === undefined || e.interactionId === q.interactionId) &&
    (q.types === undefined || q.types.includes(e.type))
  );
}

/** A voicemail file path must stay inside the data directory. */
function relativeFile(v: unknown, field: string): string {
  const s = str(v, field, 1024);
  check(
    !s.startsWith('/') && !s.startsWith('\\') && !/^[A-Za-z]:/.test(s) && !s.split(/[\\/]/).includes('..'),
    field,
    'a path relative to the data directory, without ".."',
  );
  return s;
}

export function normalizeVoicemail(v: unknown): VoicemailRecord {
  check(isObject(v), 'voicemail', 'an object');
  const out: VoicemailRecord = {
    id: str(v.id, 'voicemail.id'),
    mailbox: str(v.mailbox, 'voicemail.mailbox', 128),
    receivedAt: time(v.receivedAt, 'voicemail.receivedAt'),
    durationMs: time(v.durationMs, 'voicemail.durationMs'),
    file: relativeFile(v.file, 'voicemail.file'),
    folder: v.folder === undefined ? 'inbox' : oneOf(v.folder, VOICEMAIL_FOLDERS, 'voicemail.folder'),
    heard: false,
  };
  if (v.caller !== undefined) out.caller = party(v.caller, 'voicemail.caller');
  setIf(out, 'callId', optStr(v.callId, 'voicemail.callId'));
  return out;
}

export function normalizeVoicemailPatch(p: unknown): { folder?: VoicemailRecord['folder']; heard?: boolean } {
  check(isObject(p), 'patch', 'an object { folder?, heard? }');
  const out: { folder?: VoicemailRecord['folder']; heard?: boolean } = {};
  if (p.folder !== undefined) out.folder = oneOf(p.folder, VOICEMAIL_FOLDERS, 'patch.folder');
  if (p.heard !== undefined) {
    check(typeof p.heard === 'boolean', 'patch.heard', 'a boolean');
    out.heard = p.heard;
  }
  return out;
}

export function normalizeCallback(v: unknown): CallbackRecord {
  check(isObject(v), 'callback', 'an object');
  const out: CallbackRecord = {
    id: str(v.id, 'callback.id'),
    queueId: str(v.queueId, 'callback.queueId'),
    number: str(v.number, 'callback.number', 128),
    enqueuedAt: time(v.enqueuedAt, 'callback.enqueuedAt'),
    attempts: 0,
    status: oneOf(v.status, CALLBACK_STATUSES, 'callback.status'),
    updatedAt: time(v.updatedAt, 'callback.updatedAt'),
  };
  check(
    Number.isSafeInteger(v.attempts) && (v.attempts as number) >= 0,
    'callback.attempts',
    'an integer >= 0',
  );
  out.attempts = v.attempts as number;
  setIf(out, 'callerId', optStr(v.callerId, 'callback.callerId', 128));
  setIf(out, 'notBefore', optTime(v.notBefore, 'callback.notBefore'));
  setIf(out, 'notAfter', optTime(v.notAfter, 'callback.notAfter'));
  if (v.maxAttempts !== undefined) {
    check(
      Number.isSafeInteger(v.maxAttempts) && (v.maxAttempts as number) >= 1,
      'callback.maxAttempts',
      'an integer >= 1',
    );
    out.maxAttempts = v.maxAttempts as number;
  }
  setIf(out, 'retryDelayMs', optTime(v.retryDelayMs, 'callback.retryDelayMs'));
  if (v.priority !== undefined) {
    check(
      typeof v.priority === 'number' && Number.isFinite(v.priority),
      'callback.priority',
      'a finite number',
    );
    out.priority = v.priority === 0 ? 0 : v.priority;
  }
  if (v.attributes !== undefined) out.attributes = jsonObject(v.attributes, 'callback.attributes');
  return out;
}

export function key(v: unknown, field = 'key'): string {
  return str(v, field, 512);
}

export function id(v: unknown, field: string): string {
  return str(v, field);
}

export function callbackStatus(v: unknown, field = 'filter.status'): CallbackRecord['status'] {
  return oneOf(v, CALLBACK_STATUSES, field);
}

export function voicemailFolder(v: unknown, field = 'options.folder'): VoicemailRecord['folder'] {
  return oneOf(v, VOICEMAIL_FOLDERS, field);
}

/** Orders strings by their UTF-8 bytes, as SQLite's BINARY collation does. */
export function utf8Compare(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
