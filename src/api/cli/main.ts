#!/usr/bin/env node
/**
 * The `strowger` command. Loads and validates the configuration (command-line flags win
 * over the file), starts the switch (SIP, media, storage), prints the banner and runs.
 * The configuration file is watched (and reloaded on SIGHUP): users, routes, trunks and
 * applications apply without dropping calls. SIGTERM or SIGINT drains: new calls get
 * 503 with Retry-After, calls in progress may finish until `drain.timeoutMs`, then
 * everything is closed and the process exits 0. `--check-config` only validates: exit 0,
 * or 1 with every problem printed.
 */
import { join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Switch } from '../../switch/index.js';
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
import { findDemoConfig } from '../paths.js';
import { createSwitch } from '../switch.js';
import { VERSION } from '../version.js';
import { formatBanner } from './banner.js';

export { findDemoConfig };

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be 0-65535 (0: any free port)');
  return n;
}

interface CliOptions {
  config?: string;
  bind?: string;
  sipPort?: number;
  dataDir?: string;
  logLevel?: LogLevel;
  checkConfig?: boolean;
  signallingOnly?: boolean;
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
  let sw: Switch;
  try {
    sw = await createSwitch(config, { logger: log, signallingOnly: opts.signallingOnly ?? false });
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot start the switch');
    process.exit(1);
  }
  const storagePath =
    config.storage.driver === 'sqlite' ? join(config.storage.dataDir, config.storage.file) : '(in memory)';
  log.info(
    {
      config: resolve(configPath),
      storage: storagePath,
      version: VERSION,
      sip: sw.addresses.map((a) => `${a.protocol} ${a.address}:${a.port}`),
      media: sw.signallingOnly ? 'signalling only' : `${sw.engine?.workerCount} worker(s)`,
    },
    'strowger started',
  );

  const watcher: ConfigWatcher = watchConfig(
    configPath,
    (next, diff) => {
      if (next.logging.level !== log.level && !overrides.logLevel) log.level = next.logging.level;
      if (diff.restartRequired.length > 0)
        log.warn({ settings: diff.restartRequired }, 'these settings apply at the next start');
      sw.configure(next).then(
        () =>
          log.info(
            {
              users: diff.users.added.length + diff.users.removed.length + diff.users.changed.length,
              routesChanged: diff.routes.changed,
              trunks: diff.trunks.added.length + diff.trunks.removed.length + diff.trunks.changed.length,
              applications:
                diff.applications.added.length +
                diff.applications.removed.length +
                diff.applications.changed.length,
            },
            'configuration reloaded',
          ),
        (err) => log.error({ err: (err as Error).message }, 'configuration not applied'),
      );
    },
    (err) =>
      log.error(
        { issues: err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) },
        'configuration not reloaded: the file has errors; keeping the previous one',
      ),
    { initial: config, overrides },
  );
  process.on('SIGHUP', () => void watcher.reload());

  // Wrappers (npm, tsx, a shell) may pass one SIGTERM on while the process group got it too:
  // a repeat within two seconds is the same request; a later one means "now".
  let stoppingAt: number | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (stoppingAt !== undefined) {
      if (Date.now() - stoppingAt < 2000) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingAt = Date.now();
    log.info({ signal, calls: sw.calls.size, drainMs: config.drain.timeoutMs }, 'stopping');
    watcher.close();
    try {
      await sw.drain({ timeoutMs: config.drain.timeoutMs });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'closing failed');
      process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
  // Last, once the signal handlers are in place: a supervisor may signal as soon as it sees the banner.
  process.stdout.write(
    formatBanner(config, {
      configPath: shown,
      storagePath,
      boundPorts: sw.addresses.map((a) => a.port),
      signallingOnly: sw.signallingOnly,
    }),
  );
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strowger')
    .description('Strowger softswitch: a SIP/RTP PBX and call-center switch')
    .version(VERSION, '-v, --version')
    .option('-c, --config <file>', 'switch configuration (YAML); default: the demo configuration')
    .option('--bind <address>', 'bind address of every SIP transport and of RTP (overrides the file)')
    .option(
      '--sip-port <port>',
      'port of the UDP and TCP SIP transports (overrides the file; 0: any free port)',
      parsePort,
    )
    .option('--data-dir <dir>', 'data directory (overrides the file)')
    .addOption(
      new Option('--log-level <level>', 'log level (overrides the file)').choices([...LOG_LEVEL_NAMES]),
    )
    .option('--check-config', 'validate the configuration, print the problems, and exit 0 or 1')
    .option('--signalling-only', 'do not anchor media: SDP passes through (trunking, benchmarks)')
    .action(async (opts: CliOptions) => {
      await run(opts);
    });
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
