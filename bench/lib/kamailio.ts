/**
 * Kamailio (Debian's package) as a stateful proxy peer: bench/peers/kamailio-proxy.cfg run
 * in the foreground (-DD: the main process stays our child and forks its workers under it)
 * on a given UDP port, forwarding every call to a SIPp uas. Installed with apt-get when
 * missing and possible; otherwise the benchmark fails saying what to install.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTool } from '../../test/helpers/tools.js';
import { type Child, startChild } from './children.js';
import { BENCH_DIR } from './paths.js';
import { waitForUdpPort } from './ports.js';
import { processTree, treeCpuSeconds } from './proc.js';

export interface Kamailio {
  child: Child;
  version: string;
  /** CPU seconds of the main process and all its workers so far. */
  cpuSec(): number;
  /** How many processes it runs (main + workers). */
  processes(): number;
  stop(): Promise<void>;
}

/** The path of the kamailio binary (installing Debian's package when missing and root). */
export function kamailioPath(): string {
  return ensureTool('kamailio', 'kamailio');
}

export function kamailioVersion(bin: string): string {
  try {
    const v = execFileSync(bin, ['-v'], { encoding: 'utf8' });
    return /version:\s*kamailio\s+(\S+)/.exec(v)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface KamailioOptions {
  /** UDP port it listens on (127.0.0.1). */
  port: number;
  /** SIP URI of the uas every call goes to. */
  uasUri: string;
  /** Run directory (pid file, control sockets). */
  dir: string;
  maxSeconds: number;
  /** Shared memory in MB (-m) and private memory per process in MB (-M). */
  shmMb?: number;
  pkgMb?: number;
}

export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
  const bin = kamailioPath();
  const version = kamailioVersion(bin);
  mkdirSync(o.dir, { recursive: true });
  const cfg = join(BENCH_DIR, 'peers', 'kamailio-proxy.cfg');
  const args = [
    '-DD',
    '-E',
    '-f',
    cfg,
    '-A',
    `LISTEN_PORT=${o.port}`,
    '-A',
    `UAS_URI="${o.uasUri}"`,
    '-P',
    join(o.dir, 'kamailio.pid'),
    '-Y',
    o.dir,
    '-w',
    o.dir,
    '-m',
    String(o.shmMb ?? 1024),
    '-M',
    String(o.pkgMb ?? 16),
  ];
  const child = startChild('kamailio', bin, args, { maxSeconds: o.maxSeconds, cwd: o.dir });
  const up = await waitForUdpPort(o.port, 10_000);
  if (!up || child.done) {
    await child.stop();
    throw new Error(`kamailio did not come up on 127.0.0.1:${o.port}:\n${child.output().slice(-3000)}`);
  }
  return {
    child,
    version,
    cpuSec: () => treeCpuSeconds(child.pid),
    processes: () => Math.max(0, processTree(child.pid).length - 1), // less the timeout wrapper
    stop: () => child.stop(),
  };
}
