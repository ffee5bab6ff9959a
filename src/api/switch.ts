/**
 * `createSwitch(config)`: the library entry that runs a switch from a configuration. It
 * binds the SIP transports the configuration lists (`port: 0` picks a free port; read it
 * back from `sw.addresses`), starts the media engine (unless `signallingOnly`), opens the
 * storage, and hands them to the switch core, which owns them from then on.
 *
 * ```ts
 * const sw = await createSwitch('switch.yaml');          // or a SwitchConfig from loadConfig()
 * sw.on('ended', (call, { cdr }) => console.log(cdr));
 * await sw.configure(await loadConfig('switch.yaml'));     // hot reload: users, routes, trunks, apps
 * await sw.drain({ timeoutMs: 30_000 });                   // 503 to new calls, then close
 * ```
 */
import { type Clock, type Random, StrowgerError } from '../core/index.js';
import { createMediaEngine, type MediaEngine, type MediaEngineOptions } from '../media/worker/index.js';
import {
  createTcpTransport,
  createTlsTransport,
  createUdpTransport,
  createWsTransport,
  type SipTransport,
  UdpTransport,
} from '../sip/transport/index.js';
import type { DigestAlgorithm } from '../sip/ua/index.js';
import {
  createStorage,
  createSwitchCore,
  SqliteStorage,
  type Storage,
  type Switch,
} from '../switch/index.js';
import { type LoadConfigOptions, loadConfig } from './config/load.js';
import type { SwitchConfig, TransportConfig } from './config/types.js';
import { createLogger, type Logger, logAuthFailure } from './logging.js';
import { findPromptDir } from './paths.js';

export interface CreateSwitchOptions {
  /** Signalling only: SDP passes through untouched, no media engine (trunking, benchmarks). */
  signallingOnly?: boolean;
  /** Where logs go (default: pino on stderr at `logging.level`). */
  logger?: Logger;
  /** Media engine options over those the configuration gives (workers, spawn, …). */
  engine?: Partial<MediaEngineOptions>;
  /** A storage to use instead of opening `config.storage`. */
  storage?: Storage;
  /** When `config` is a path: how to load it (environment, overrides). */
  load?: LoadConfigOptions;
  clock?: Clock;
  random?: Random;
  /** Digest nonce secret (≥ 16 bytes); default random per start. */
  secret?: string | Uint8Array;
  /** Digest algorithms offered (default MD5). */
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** Status of an unanswered call at the ring timeout: 480 (default) or 408. */
  noAnswerStatus?: 480 | 408;
  /** Ring time of calls out through a trunk (default 120 s). */
  trunkRingTimeoutMs?: number;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

function describe(t: TransportConfig): string {
  return `${t.type} ${t.address}:${t.port}`;
}

async function bindOne(t: TransportConfig, port: number): Promise<SipTransport> {
  const common = {
    address: t.address,
    port,
    ...(t.publicAddress === undefined ? {} : { advertisedHost: t.publicAddress }),
  };
  const tls = t.tls
    ? {
        cert: t.tls.certFile,
        key: t.tls.keyFile,
        ...(t.tls.caFile === undefined ? {} : { ca: t.tls.caFile }),
        ...(t.tls.passphrase === undefined ? {} : { passphrase: t.tls.passphrase }),
      }
    : undefined;
  switch (t.type) {
    case 'udp':
      return createUdpTransport({
        ...common,
        ...(t.receiveBufferSize === undefined ? {} : { receiveBufferSize: t.receiveBufferSize }),
        ...(t.ioThread === undefined ? {} : { ioThread: t.ioThread }),
      });
    case 'tcp':
      return createTcpTransport(common);
    case 'tls':
      return createTlsTransport({ ...common, tls: tls ?? {} });
    case 'ws':
    case 'wss':
      return createWsTransport({
        ...common,
        secure: t.type === 'wss',
        ...(tls ? { tls } : {}),
        ...(t.path === undefined ? {} : { path: t.path }),
        ...(t.origins && t.origins.length > 0 ? { allowedOrigins: t.origins } : {}),
      });
  }
}

/**
 * Binds every transport of the configuration. A UDP and a TCP transport on one address
 * with `port: 0` get the same free port when it can be had (a softphone then needs one
 * port number). Throws ERR_TRANSPORT naming the transport that could not listen, after
 * closing the ones already bound.
 */
export async function openTransports(list: readonly TransportConfig[]): Promise<SipTransport[]> {
  const out: SipTransport[] = [];
  const shared = new Map<string, number>();
  try {
    for (const t of list) {
      let transport: SipTransport | undefined;
      const pair = t.type === 'udp' || t.type === 'tcp';
      const reuse = t.port === 0 && pair ? shared.get(t.address) : undefined;
      if (reuse !== undefined) {
        transport = await bindOne(t, reuse).catch(() => undefined);
      }
      if (!transport) {
        try {
          transport = await bindOne(t, t.port);
        } catch (err) {
          throw new StrowgerError(
            'ERR_TRANSPORT',
            `cannot listen on ${describe(t)}: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
      }
      if (t.port === 0 && pair && !shared.has(t.address)) shared.set(t.address, transport.local.port);
      out.push(transport);
    }
  } catch (err) {
    await Promise.allSettled(out.map((t) => t.close()));
    throw err;
  }
  return out;
}

/** The media engine a configuration asks for. */
export function startMediaEngine(
  config: SwitchConfig,
  options: Partial<MediaEngineOptions> = {},
): Promise<MediaEngine> {
  const m = config.media;
  return createMediaEngine({
    ...(m.workers === 'auto' ? {} : { workers: m.workers }),
    bindAddress: m.address,
    ...(m.publicAddress !== undefined
      ? { announceAddress: m.publicAddress }
      : WILDCARD.has(m.address)
        ? {}
        : { announceAddress: m.address }),
    portRange: { min: m.rtpPorts.min, max: m.rtpPorts.max },
    endpointDefaults: { rtpTimeoutMs: m.rtpTimeoutMs },
    ...options,
  });
}

/**
 * A UDP socket whose kernel buffer is smaller than asked (Linux caps it at
 * net.core.rmem_max) drops datagrams in bursts: say so once, at start.
 */
function warnSmallBuffers(
  list: readonly TransportConfig[],
  bound: readonly SipTransport[],
  logger: Logger,
): void {
  list.forEach((t, i) => {
    const transport = bound[i];
    if (t.type !== 'udp' || t.receiveBufferSize === undefined || !(transport instanceof UdpTransport)) return;
    const granted = transport.receiveBufferSize;
    // Linux reports twice what it granted
    if (granted > 0 && granted < t.receiveBufferSize)
      logger.warn(
        { transport: describe(t), asked: t.receiveBufferSize, granted: Math.floor(granted / 2) },
        'UDP receive buffer is smaller than configured: raise net.core.rmem_max (sysctl) or lower receiveBufferSize',
      );
  });
}

/**
 * Starts a switch from a configuration (a validated `SwitchConfig`, or the path of a
 * YAML file, loaded with `options.load`). Resolves once SIP listens, the media workers
 * run and storage is open; rejects (and releases what it took) otherwise.
 */
export async function createSwitch(
  config: SwitchConfig | string,
  options: CreateSwitchOptions = {},
): Promise<Switch> {
  const cfg = typeof config === 'string' ? await loadConfig(config, options.load ?? {}) : config;
  const logger = options.logger ?? createLogger({ level: cfg.logging.level });
  const transports = await openTransports(cfg.sip.transports);
  warnSmallBuffers(cfg.sip.transports, transports, logger);
  let engine: MediaEngine | undefined;
  let storage: Storage | undefined;
  try {
    if (!options.signallingOnly) engine = await startMediaEngine(cfg, options.engine);
    storage = options.storage ?? (await createStorage(cfg.storage));
    if (storage instanceof SqliteStorage && storage.cdrWriterProblem)
      logger.warn({ reason: storage.cdrWriterProblem }, 'CDRs are committed on the main thread');
  } catch (err) {
    await Promise.allSettled([...transports.map((t) => t.close()), engine?.close()]);
    throw err;
  }
  const promptDir = findPromptDir();
  const sw = await createSwitchCore({
    settings: cfg,
    transports,
    ...(engine ? { engine } : {}),
    storage,
    logger,
    ...(promptDir ? { promptDir } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.digestAlgorithms ? { digestAlgorithms: options.digestAlgorithms } : {}),
    ...(options.noAnswerStatus ? { noAnswerStatus: options.noAnswerStatus } : {}),
    ...(options.trunkRingTimeoutMs === undefined ? {} : { trunkRingTimeoutMs: options.trunkRingTimeoutMs }),
  });
  sw.on('authFailure', (f) => logAuthFailure(logger, f));
  return sw;
}
