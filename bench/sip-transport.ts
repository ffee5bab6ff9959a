/**
 * Inbound SIP over TCP on loopback: a client writes a burst of OPTIONS
 * requests over one connection; the server frames them, parses them and
 * hands each request (with Via received stamped) to the application. Ours is
 * TcpTransport + TransportLayer; the peer is the npm `sip` package's
 * transport (makeTransport, TCP only), doing the same job in the same process.
 * Rates are messages per CPU-second of the whole process (client writes
 * included for both), median of interleaved rounds.
 */
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';
import { createTcpTransport, TransportLayer } from '../src/sip/index.js';
import { cpuMs, median, printResult } from './lib/stats.js';

const require = createRequire(import.meta.url);
const sip = require('sip') as {
  makeTransport(
    options: Record<string, unknown>,
    cb: (m: { method?: string; headers: { 'call-id': string } }) => void,
  ): { destroy(): void };
};

const BURST = 20_000;
const ROUNDS = 5;

function options(i: number): string {
  return [
    'OPTIONS sip:bench@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-bench-${i};rport`,
    'Max-Forwards: 70',
    'From: <sip:load@example.com>;tag=8723',
    'To: <sip:bench@127.0.0.1>',
    `Call-ID: bench-${i}@192.0.2.1`,
    'CSeq: 1 OPTIONS',
    'Contact: <sip:load@192.0.2.1:5060;transport=tcp>',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const payload = Buffer.from(Array.from({ length: BURST }, (_, i) => options(i)).join(''));

let received = 0;
let wake: (() => void) | undefined;
const count = () => {
  received++;
  if (received === BURST) wake?.();
};

async function burst(port: number): Promise<number> {
  received = 0;
  const done = new Promise<void>((r) => {
    wake = r;
  });
  const t0 = cpuMs();
  const s: Socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => s.once('connect', r));
  s.on('error', () => {});
  for (let off = 0; off < payload.length; off += 16_384) s.write(payload.subarray(off, off + 16_384));
  await done;
  const dt = cpuMs() - t0;
  s.destroy();
  return (BURST / dt) * 1000;
}

const ourTransport = await createTcpTransport({ address: '127.0.0.1', port: 0 });
const ours = new TransportLayer({ transports: [ourTransport] });
ours.on('request', (r) => {
  if (r.topVia?.received !== undefined) count();
});
// a free port for the peer (it takes a port number, not 0)
const probe = createServer();
await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
const peerPort = (probe.address() as { port: number }).port;
await new Promise((r) => probe.close(r));
const peer = sip.makeTransport(
  // its stream parser counts a whole read (up to 64 KiB of back-to-back messages) against the header limit
  { udp: false, tcp: true, address: '127.0.0.1', port: peerPort, maxBytesHeaders: 1 << 20 },
  (m) => {
    if (m.method && m.headers['call-id']) count();
  },
);
await new Promise((r) => setTimeout(r, 100));

const a: number[] = [];
const b: number[] = [];
await burst(ourTransport.local.port);
await burst(peerPort);
for (let i = 0; i < ROUNDS; i++) {
  a.push(await burst(ourTransport.local.port));
  b.push(await burst(peerPort));
}
await ours.close();
peer.destroy();

const ma = median(a);
const mb = median(b);
process.stdout.write(
  `TCP inbound OPTIONS (${BURST} per burst, one connection)   strowger ${Math.round(ma).toLocaleString('en')} msg/s   npm sip ${Math.round(mb).toLocaleString('en')} msg/s   ratio ${(ma / mb).toFixed(2)}x\n(medians of ${ROUNDS} interleaved rounds, per CPU-second)\n`,
);
printResult({
  name: 'sip-transport',
  value: Math.round(ma),
  unit: 'TCP inbound requests/s (frame+parse+stamp)',
  peer: 'npm sip 0.0.6 makeTransport (TCP)',
  peerValue: Math.round(mb),
  ratio: Number((ma / mb).toFixed(2)),
});
// the npm sip transport keeps no timers, but its server may linger: end explicitly
setTimeout(() => process.exit(0), 50).unref();
