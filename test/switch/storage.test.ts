/** The Storage contract suite against the in-memory and the SQLite implementation. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createMemoryStorage, createSqliteStorage, createStorage } from '../../src/switch/index.js';
import { storageContract } from './storage-contract.js';

const root = mkdtempSync(join(tmpdir(), 'strowger-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storageContract('memory', () => createMemoryStorage());
storageContract('sqlite', () => createSqliteStorage({ dataDir: join(root, `db${++n}`) }));
storageContract('createStorage({ driver: sqlite })', () =>
  createStorage({ dataDir: join(root, `db${++n}`), file: 'x.db' }),
);
