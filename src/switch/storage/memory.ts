/**
 * The in-memory Storage: the same contract as SQLite, kept in maps. For tests and for
 * embedding the switch where nothing must outlive the process.
 */
import { check, closedError, StorageError } from './errors.js';
import type {
  CallbackRecord,
  CallbackStore,
  CdrRecord,
  CdrStore,
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
  eventMatches,
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
  utf8Compare,
  voicemailFolder,
} from './validate.js';

const clone = <T>(v: T): T => structuredClone(v);

/** Compares rows by (startedAt, seq). */
function cmpKey(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  readonly cdrs: CdrStore;
  readonly events: QueueEventLog;
  readonly voicemail: VoicemailIndex;
  readonly callbacks: CallbackStore;
  readonly kv: KeyValueStore;
  #closed = false;
  #cdrs = new Map<string, { seq: number; record: CdrRecord }>();
  #cdrSeq = 0;
  #events: QueueEventRecord[] = [];
  #eventSeq = 0;
  #voicemail = new Map<string, VoicemailRecord>();
  #callbacks = new Map<string, CallbackRecord>();
  #kv = new Map<string, JsonValue>();

  constructor() {
    const open = (): void => {
      if (this.#closed) throw closedError();
    };
    const cdrs = this.#cdrs;
    this.cdrs = {
      write: async (input) => {
        open();
        const record = normalizeCdr(input);
        if (cdrs.has(record.callId)) {
          throw new StorageError(
            'ERR_STORAGE',
            `cdr.callId ${JSON.stringify(record.callId)} is already recorded`,
            {
              field: 'cdr.callId',
            },
          );
        }
        cdrs.set(record.callId, { seq: ++this.#cdrSeq, record });
        return clone(record);
      },
      get: async (callId) => {
        open();
        const row = cdrs.get(id(callId, 'callId'));
        return row ? clone(row.record) : undefined;
      },
      query: async (query) => {
        open();
        const q = normalizeCdrQuery(query);
        const dir = q.order === 'asc' ? 1 : -1;
        const rows = [...cdrs.values()]
          .filter(({ seq, record: r }) => {
            if (q.from !== undefined && r.startedAt < q.from) return false;
            if (q.to !== undefined && r.startedAt >= q.to) return false;
            if (q.extension !== undefined && !r.extensions.includes(q.extension)) return false;
            if (q.dispositions !== undefined && !q.dispositions.includes(r.disposition)) return false;
            if (q.direction !== undefined && r.direction !== q.direction) return false;
            if (q.queue !== undefined && r.queue !== q.queue) return false;
            if (q.agent !== undefined && r.agent !== q.agent) return false;
            if (q.after !== undefined && dir * cmpKey([r.startedAt, seq], q.after) <= 0) return false;
            return true;
          })
          .sort((a, b) => dir * cmpKey([a.record.startedAt, a.seq], [b.record.startedAt, b.seq]));
        const items = rows.slice(0, q.limit);
        const page: Page<CdrRecord> = { items: items.map((r) => clone(r.record)) };
        const last = items[items.length - 1];
        if (rows.length > q.limit && last) page.nextCursor = encodeCursor([last.record.startedAt, last.seq]);
        return page;
      },
    };
    this.events = {
      append: async (input) => {
        open();
        const list = normalizeEvents(input);
        const out = list.map((e) => ({ ...e, seq: ++this.#eventSeq }) as QueueEventRecord);
        this.#events.push(...out);
        return clone(out);
      },
      query: async (query) => {
        open();
        const q = normalizeEventQuery(query);
        const items: QueueEventRecord[] = [];
        let more = false;
        for (const e of this.#events) {
          if (!eventMatches(e, q)) continue;
          if (items.length === q.limit) {
            more = true;
            break;
          }
          items.push(e);
        }
        const page: Page<QueueEventRecord> = { items: clone(items) };
        const last = items[items.length - 1];
        if (more && last) page.nextCursor = encodeCursor([last.seq]);
        return page;
      },
    };
    const vm = this.#voicemail;
    this.voicemail = {
      add: async (input) => {
        open();
        const record = normalizeVoicemail(input);
        if (vm.has(record.id)) {
          throw new StorageError('ERR_STORAGE', `voicemail.id ${JSON.stringify(record.id)} already exists`, {
            field: 'voicemail.id',
          });
        }
        vm.set(record.id, record);
        return clone(record);
      },
      get: async (messageId) => {
        open();
        const r = vm.get(id(messageId, 'id'));
        return r ? clone(r) : undefined;
      },
      list: async (mailbox, options = {}) => {
        open();
        const box = str(mailbox, 'mailbox', 128);
        const folder = options.folder === undefined ? undefined : voicemailFolder(options.folder);
        return clone(
          [...vm.values()]
            .filter((m) => m.mailbox === box && (folder === undefined || m.folder === folder))
            .sort((a, b) => b.receivedAt - a.receivedAt || utf8Compare(b.id, a.id)),
        );
      },
      update: async (messageId, patch) => {
        open();
        const k = id(messageId, 'id');
        const p = normalizeVoicemailPatch(patch);
        const r = vm.get(k);
        if (!r) return undefined;
        if (p.folder !== undefined) r.folder = p.folder;
        if (p.heard !== undefined) r.heard = p.heard;
        return clone(r);
      },
      remove: async (messageId) => {
        open();
        return vm.delete(id(messageId, 'id'));
      },
      counts: async (mailbox) => {
        open();
        const box = str(mailbox, 'mailbox', 128);
        let unheard = 0;
        let heard = 0;
        for (const m of vm.values()) {
          if (m.mailbox !== box) continue;
          if (m.heard) heard++;
          else unheard++;
        }
        return { unheard, heard };
      },
    };
    const cbs = this.#callbacks;
    this.callbacks = {
      save: async (input) => {
        open();
        const r = normalizeCallback(input);
        cbs.set(r.id, r);
      },
      get: async (cbId) => {
        open();
        const r = cbs.get(id(cbId, 'id'));
        return r ? clone(r) : undefined;
      },
      list: async (filter = {}) => {
        open();
        const queueId = filter.queueId === undefined ? undefined : str(filter.queueId, 'filter.queueId');
        const status = filter.status === undefined ? undefined : callbackStatus(filter.status);
        return clone(
          [...cbs.values()]
            .filter(
              (c) =>
                (queueId === undefined || c.queueId === queueId) &&
                (status === undefined || c.status === status),
            )
            .sort((a, b) => a.enqueuedAt - b.enqueuedAt || utf8Compare(a.id, b.id)),
        );
      },
      remove: async (cbId) => {
        open();
        return cbs.delete(id(cbId, 'id'));
      },
    };
    const kv = this.#kv;
    this.kv = {
      get: async (k) => {
        open();
        const v = kv.get(key(k));
        return v === undefined ? undefined : clone(v);
      },
      set: async (k, value) => {
        open();
        const name = key(k);
        check(value !== undefined, 'value', 'JSON data');
        kv.set(name, json(value, 'value'));
      },
      delete: async (k) => {
        open();
        return kv.delete(key(k));
      },
      list: async (prefix = '') => {
        open();
        if (prefix !== '') key(prefix, 'prefix');
        return [...kv.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .sort(([a], [b]) => utf8Compare(a, b))
          .map(([k, value]) => ({ key: k, value: clone(value) }));
      },
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** A new, empty in-memory Storage. */
export async function createMemoryStorage(): Promise<MemoryStorage> {
  return new MemoryStorage();
}
