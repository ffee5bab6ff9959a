/**
 * Watches a configuration file and reports each valid edit with what changed. A bad edit
 * is reported through `onError` and the previous configuration stays in force; the
 * watcher never throws. Editors that save by writing a new file and renaming it are
 * handled: the directory is watched, not the file's inode.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type Clock, type ClockTimer, realClock } from '../../core/index.js';
import { type ConfigDiff, diffConfig } from './diff.js';
import { ConfigError } from './errors.js';
import { type LoadConfigOptions, loadConfig } from './load.js';
import type { SwitchConfig } from './types.js';

export interface WatchConfigOptions extends LoadConfigOptions {
  /** The configuration in force now; loaded from the file when omitted. */
  initial?: SwitchConfig;
  /** Quiet time after the last file event before reloading (default 250 ms). */
  debounceMs?: number;
  clock?: Clock;
}

export const WATCH_DEFAULTS = Object.freeze({ debounceMs: 250 });

export interface ConfigWatcher {
  /** The configuration in force (undefined until a first valid load). */
  readonly current: SwitchConfig | undefined;
  /** Reloads now (what a file event does after the debounce; also for SIGHUP). */
  reload(): Promise<void>;
  close(): void;
  readonly closed: boolean;
}

export type ConfigChangeHandler = (
  next: SwitchConfig,
  diff: ConfigDiff,
  previous: SwitchConfig | undefined,
) => void;
export type ConfigErrorHandler = (error: ConfigError) => void;

/**
 * Watches `path`. `onChange` gets every valid edit that changed something; `onError` every
 * edit that cannot be used (the old configuration is kept). Both are called safely: a
 * throwing handler is reported to `onError` once and ignored.
 */
export function watchConfig(
  path: string,
  onChange: ConfigChangeHandler,
  onError: ConfigErrorHandler,
  options: WatchConfigOptions = {},
): ConfigWatcher {
  const file = resolve(path);
  const clock = options.clock ?? realClock;
  const debounceMs = options.debounceMs ?? WATCH_DEFAULTS.debounceMs;
  const { initial, debounceMs: _d, clock: _c, ...loadOptions } = options;
  let current = initial;
  let closed = false;
  let timer: ClockTimer | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let fsWatcher: FSWatcher | undefined;

  const report = (err: unknown) => {
    const e =
      err instanceof ConfigError
        ? err
        : new ConfigError([{ path: '', message: (err as Error)?.message ?? String(err) }], file, {
            cause: err,
          });
    try {
      onError(e);
    } catch {
      // A throwing error handler must not break the watcher.
    }
  };

  const loadOnce = async () => {
    let next: SwitchConfig;
    try {
      next = await loadConfig(file, loadOptions);
    } catch (err) {
      report(err);
      return;
    }
    if (closed) return;
    const previous = current;
    const diff = previous
      ? diffConfig(previous, next)
      : diffConfig(
          { ...next, users: [], routes: [], trunks: [], applications: [], queues: [], agents: [] },
          next,
        );
    current = next;
    if (previous && diff.empty) return;
    try {
      onChange(next, diff, previous);
    } catch (err) {
      report(err);
    }
  };

  const reload = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await loadOnce();
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  const schedule = () => {
    timer?.cancel();
    timer = clock.setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  try {
    fsWatcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (closed) return;
      if (name === null || name === basename(file)) schedule();
    });
    fsWatcher.on('error', report);
  } catch (err) {
    report(err);
  }
  if (!current) void reload();

  return {
    get current() {
      return current;
    },
    get closed() {
      return closed;
    },
    reload,
    close() {
      if (closed) return;
      closed = true;
      timer?.cancel();
      fsWatcher?.close();
    },
  };
}
