#!/usr/bin/env node
/**
 * The `strowger` command. Loads and validates the configuration (command-line flags win
 * over the file), opens storage, prints the banner and runs until SIGINT/SIGTERM, when it
 * closes storage and exits 0. `--check-config` only validates: exit 0, or 1 with every
 * problem printed. Until the switch core lands (issue 7) nothing serves SIP or media yet.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createStorage, type Storage } from '../../switch/index.js';
import {
  ConfigError,
  type ConfigOverrides,
  type ConfigWatcher,
  LOG_LEVEL_NAMES,
  type LogLevel,
  loadConfig,
  type SwitchConfig,
  watchConfig,
} from '../config/index.js';
import { createLogger } from '../logging.js';
import { VERSION } from '../version.js';
import { formatBanner } from './banner.js';

/** The demo configuration, from a checkout (src/api/cli → ../../../) or a build (dist → ../). */
export function findDemoConfig(): string | undefined {
  let here: string;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined; // the CommonJS build has no import.meta; the bin runs the ESM one
  }
  for (const up of ['../../..', '..']) {
    const p = resolve(here, up, 'examples', 'switch', 'demo.yaml');
    if (existsSync(p)) return p;
  }
  return undefined;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new InvalidArgumentError('must be 1-65535');
  return n;
}

interface CliOptions {
  config?: string;
  bind?: string;
  sipPort?: number;
  dataDir?: string;
  logLevel?: LogLevel;
  checkConfig?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`strowger: ${message}\n`);
  process.exit(1);
}

function summary(c: SwitchConfig): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return [
    n(c.sip.transports.length, 'transport'),
    n(c.users.length, 'user'),
    n(c.routes.length, 'route'),
    n(c.trunks.length, 'trunk'),
    n(c.applications.length, 'application'),
    n(c.queues.length, 'queue'),
    n(c.agents.length, 'agent'),
  ].join(', ');
}

async function run(opts: CliOptions): Promise<void> {
  const configPath = opts.config ?? findDemoConfig();
  if (!configPath)
    fail('no configuration: pass --config FILE (examples/switch/demo.yaml in a checkout is the demo)');
  const overrides: ConfigOverrides = {};
  if (opts.bind !== undefined) overrides.bind = opts.bind;
  if (opts.sipPort !== undefined) overrides.sipPort = opts.sipPort;
  if (opts.dataDir !== undefined) overrides.dataDir = resolve(opts.dataDir);
  if (opts.logLevel !== undefined) overrides.logLevel = opts.logLevel;
  const shown = relative(process.cwd(), resolve(configPath)) || configPath;

  let config: SwitchConfig;
  try {
    config = await loadConfig(configPath, { overrides });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (opts.checkConfig) {
    process.stdout.write(`configuration OK: ${shown} (${summary(config)})\n`);
    return;
  }

  const log = createLogger({ level: config.logging.level });
  let storage: Storage;
  try {
    storage = await createStorage(config.storage);
  } catch (err) {
    log.fatal({ err }, 'cannot open storage');
    process.exit(1);
  }
  const storagePath =
    config.storage.driver === 'sqlite' ? join(config.storage.dataDir, config.storage.file) : '(in memory)';
  log.info({ config: resolve(configPath), storage: storagePath, version: VERSION }, 'strowger started');

  const watcher: ConfigWatcher = watchConfig(
    configPath,
    (next, diff) => {
      const count = (c: { added: unknown[]; removed: unknown[]; changed: unknown[] }) =>
        `+${c.added.length} -${c.removed.length} ~${c.changed.length}`;
      log.info(
        {
          users: count(diff.users),
          routesChanged: diff.routes.changed,
          trunks: count(diff.trunks),
          queues: count(diff.queues),
          agents: count(diff.agents),
          settings: diff.settings,
          restartRequired: diff.restartRequired,
        },
        'configuration reloaded (the switch core will apply it once it exists)',
      );
      if (next.logging.level !== log.level && !overrides.logLevel) log.level = next.logging.level;
    },
    (err) =>
      log.error(
        { issues: err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) },
        'configuration not reloaded: the file has errors; keeping the previous one',
      ),
    { initial: config, overrides },
  );
  process.on('SIGHUP', () => void watcher.reload());

  // Until the switch exists nothing else keeps the event loop alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    watcher.close();
    clearInterval(keepAlive);
    try {
      await storage.close();
    } catch (err) {
      log.error({ err }, 'closing storage failed');
      process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
  // Last, once the signal handlers are in place: a supervisor may signal as soon as it sees the banner.
  process.stdout.write(formatBanner(config, { configPath: shown, storagePath, serving: false }));
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strowger')
    .description('Strowger softswitch: a SIP/RTP PBX and call-center switch')
    .version(VERSION, '-v, --version')
    .option('-c, --config <file>', 'switch configuration (YAML); default: the demo configuration')
    .option('--bind <address>', 'bind address of every SIP transport and of RTP (overrides the file)')
    .option('--sip-port <port>', 'port of the UDP and TCP SIP transports (overrides the file)', parsePort)
    .option('--data-dir <dir>', 'data directory (overrides the file)')
    .addOption(
      new Option('--log-level <level>', 'log level (overrides the file)').choices([...LOG_LEVEL_NAMES]),
    )
    .option('--check-config', 'validate the configuration, print the problems, and exit 0 or 1')
    .action(async (opts: CliOptions) => {
      await run(opts);
    });
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
