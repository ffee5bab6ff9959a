import { check } from './errors.js';
import { createMemoryStorage } from './memory.js';
import { createSqliteStorage, type SqliteStorageOptions } from './sqlite.js';
import type { Storage } from './types.js';

/** Which Storage to open: the embedded SQLite database (default) or memory. */
export type StorageOptions = ({ driver?: 'sqlite' } & SqliteStorageOptions) | { driver: 'memory' };

/** Opens the storage the options name (the switch calls this with `config.storage`). */
export async function createStorage(options: StorageOptions): Promise<Storage> {
  const driver = options?.driver ?? 'sqlite';
  check(driver === 'sqlite' || driver === 'memory', 'options.driver', "'sqlite' or 'memory'");
  if (driver === 'memory') return createMemoryStorage();
  return createSqliteStorage(options as SqliteStorageOptions);
}
