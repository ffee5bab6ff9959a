export { acdAgentConfig, acdOptions, acdQueueConfig } from './acd.js';
export { CONFIG_DEFAULTS } from './defaults.js';
export { type ConfigDiff, deepEqual, diffConfig, type KeyedChanges, RESTART_REQUIRED } from './diff.js';
export { ConfigError, type ConfigIssue, formatIssue, formatPath } from './errors.js';
export {
  applyOverrides,
  type ConfigOverrides,
  type ConfigSource,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
  parseYaml,
  validateConfig,
} from './load.js';
export { buildConfigSchema, type Env, LOG_LEVEL_NAMES } from './schema.js';
export type * from './types.js';
export {
  type ConfigChangeHandler,
  type ConfigErrorHandler,
  type ConfigWatcher,
  WATCH_DEFAULTS,
  type WatchConfigOptions,
  watchConfig,
} from './watch.js';
