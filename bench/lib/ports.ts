/**
 * Fixed loopback UDP ports for servers run as child processes (SIPp, Kamailio, a switch):
 * they need port numbers on their command lines, so the benchmark picks blocks that are
 * free now (a bind test on 127.0.0.1 and 0.0.0.0) at a random place in a high range, which
 * keeps two benchmarks on a shared machine apart.
 */
import { createSocket } from 'node:dgram';

function canBind(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address, exclusive: true }, () => {
      s.close(() => resolve(true));
    });
  });
}

/** True when nothing listens on UDP `port` of 127.0.0.1 (nor on the wildcard address). */
export async function udpPortFree(port: number): Promise<boolean> {
  return (await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'));
}

/** True once something is bound to UDP `port` on 127.0.0.1 (a server has come up). */
export async function udpPortBound(port: number): Promise<boolean> {
  return !(await canBind(port, '127.0.0.1'));
}

/**
 * The first port of a block of `count` consecutive free UDP ports, the first one even,
 * between `min` and `max`. Tries random places up to 200 times.
 */
export async function freeUdpBlock(count: number, min = 20_000, max = 60_000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = (min + Math.floor(Math.random() * (max - min - count))) & ~1;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await udpPortFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${count} free UDP ports between ${min} and ${max}`);
}

/** Waits until `port` is bound on 127.0.0.1 or `timeoutMs` passes; resolves whether it came up. */
export async function waitForUdpPort(port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await udpPortBound(port)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
