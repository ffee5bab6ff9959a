export { createStorage, type StorageOptions } from './create.js';
export { StorageError } from './errors.js';
export { createMemoryStorage, MemoryStorage } from './memory.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export {
  type AppliedMigration,
  createSqliteStorage,
  SQLITE_DEFAULTS,
  SqliteStorage,
  type SqliteStorageOptions,
} from './sqlite.js';
export * from './types.js';
