/**
 * Server transactions per second: a request comes in, the TU answers 200,
 * the response goes out — parse + transaction + serialize, end to end.
 *
 * The npm `sip` package's stack (0.0.6) binds real sockets (its
 * makeUdpTransport owns a dgram socket) and cannot run over an in-memory path,
 * so the comparison runs over UDP on loopback: our TransportLayer +
 * TransactionLayer on a small node:dgram SipTransport adapter (below) beside
 * `sip.create()`, each answering OPTIONS from the same load generator. The
 * generator runs in a child process; the figure is transactions per CPU-second
 * of the server process (CPU time, not wall time: the machine is shared).
 * Rounds alternate between the two stacks; medians are reported.
 *
 * Our stack is also measured over the in-memory LoopNetwork (FakeClock,
 * deliveries run synchronously), which is the cost without sockets; the
 * timers (Timer J) are run out inside the measurement, so termination is
 * counted too.
 */
import { fork } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FakeClock, realClock, seededRandom, TypedEmitter } from '../src/core/index.js';
import {
  type Endpoint,
  LoopNetwork,
  type SendResult,
  type SipTransport,
  TransactionLayer,
  type TransportEvents,
  TransportLayer,
} from '../src/sip/index.js';
import { cpuMs, median, printResult } from './lib/stats.js';

const PER_ROUND = 4000;
const ROUNDS = 5;
const WINDOW = 32;

// ---- the load generator (child process) ------------------------------------------------

interface RunCommand {
  port: number;
  count: number;
  run: number;
}

function optionsRequest(serverPort: number, localPort: number, run: number, i: number): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:bench@127.0.0.1:${serverPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${run}x${i};rport`,
      'Max-Forwards: 70',
      `From: <sip:gen@127.0.0.1>;tag=g${run}`,
      'To: <sip:bench@127.0.0.1>',
      `Call-ID: ${run}-${i}@bench`,
      'CSeq: 1 OPTIONS',
      'Accept: application/sdp',
      'User-Agent: strowger-bench',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function generator(): void {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1', () => {
    const localPort = socket.address().port;
    let pending:
      | { cmd: RunCommand; sent: number; received: number; t0: number; idle: NodeJS.Timeout }
      | undefined;
    const finish = () => {
      if (!pending) return;
      clearTimeout(pending.idle);
      process.send?.({ received: pending.received, wallMs: performance.now() - pending.t0 });
      pending = undefined;
    };
    const sendNext = () => {
      if (!pending || pending.sent >= pending.cmd.count) return;
      const i = pending.sent++;
      socket.send(
        optionsRequest(pending.cmd.port, localPort, pending.cmd.run, i),
        pending.cmd.port,
        '127.0.0.1',
      );
    };
    socket.on('message', (msg: Buffer) => {
      if (!pending || msg.toString('latin1', 0, 11) !== 'SIP/2.0 200') return;
      pending.received++;
      pending.idle.refresh();
      if (pending.received >= pending.cmd.count) finish();
      else sendNext();
    });
    process.on('message', (cmd: RunCommand | 'exit') => {
      if (cmd === 'exit') {
        socket.close();
        process.exit(0);
      }
      // a lost datagram would stall one slot; give up on a round after 2 s without progress
      pending = { cmd, sent: 0, received: 0, t0: performance.now(), idle: setTimeout(finish, 2000) };
      for (let k = 0; k < WINDOW; k++) sendNext();
    });
    process.send?.('ready');
  });
}

// ---- our stack on node:dgram --------------------------------------------------------------

/** The smallest SipTransport over a node:dgram socket (the real one lives in sip/transport). */
class DgramTransport extends TypedEmitter<TransportEvents> implements SipTransport {
  readonly protocol = 'UDP' as const;
  readonly reliable = false;
  readonly secure = false;
  readonly advertisedHost = '127.0.0.1';
  local: Endpoint = { address: '127.0.0.1', port: 0 };
  closed = false;
  readonly #socket: Socket;
  readonly #result: SendResult;
  readonly #onSent = (err: Error | null) => {
    if (err) this.emit('error', err);
  };

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    this.local = { address: '127.0.0.1', port: socket.address().port };
    this.#result = { connectionId: undefined, local: this.local };
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
      this.emit('message', msg, { address: rinfo.address, port: rinfo.port }, undefined),
    );
  }

  static open(): Promise<DgramTransport> {
    return new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.bind(0, '127.0.0.1', () => resolve(new DgramTransport(socket)));
    });
  }

  send(data: Uint8Array, remote: Endpoint): Promise<SendResult> {
    this.#socket.send(data, remote.port, remote.address, this.#onSent);
    return Promise.resolve(this.#result);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#socket.close();
    this.emit('close');
  }
}

let tags = 0;

async function ourUdpServer(): Promise<{ port: number; close(): void }> {
  const transport = await DgramTransport.open();
  const tl = new TransportLayer({ transports: [transport], clock: realClock });
  const layer = new TransactionLayer({ transport: tl, clock: realClock });
  layer.on('request', (tx) => tx.respond(200, { toTag: `s${++tags}` }));
  return {
    port: transport.local.port,
    close() {
      layer.close();
      void tl.close();
    },
  };
}

// ---- the npm sip stack ----------------------------------------------------------------------

interface SipMessage {
  headers: { to: { uri: string; params: Record<string, string> } } & Record<string, unknown>;
}
interface SipStack {
  send(m: unknown): void;
  destroy(): void;
}
const require = createRequire(import.meta.url);
const sip = require('sip') as {
  create(options: Record<string, unknown>, callback: (rq: SipMessage) => void): SipStack;
  makeResponse(rq: SipMessage, status: number, reason: string): SipMessage;
};

/** A UDP port free right now on loopback (npm sip cannot bind port 0 itself). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function peerServer(): Promise<{ port: number; close(): void }> {
  const port = await freePort();
  const stack: SipStack = sip.create(
    { udp: true, tcp: false, address: '127.0.0.1', port, publicAddress: '127.0.0.1' },
    (rq) => {
      const rs = sip.makeResponse(rq, 200, 'OK');
      // the same job as ours: a To tag on the response
      rs.headers.to = { ...rq.headers.to, params: { ...rq.headers.to.params, tag: `s${++tags}` } };
      stack.send(rs);
    },
  );
  // sip.create() binds its socket asynchronously: let the bind complete before the generator starts
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { port, close: () => stack.destroy() };
}

// ---- ours over the in-memory loop network ---------------------------------------------------

function loopBench(count: number): number {
  const clock = new FakeClock();
  const net = new LoopNetwork({ clock, latencyMs: 1 });
  const gen = net.createTransport({ address: '10.0.0.1', port: 5060 });
  const tl = new TransportLayer({
    transports: [net.createTransport({ address: '10.0.0.2', port: 5060 })],
    clock,
  });
  const layer = new TransactionLayer({ transport: tl, clock, random: seededRandom(1) });
  layer.on('request', (tx) => tx.respond(200, { toTag: `s${++tags}` }));
  let received = 0;
  gen.on('message', () => received++);
  const server = { address: '10.0.0.2', port: 5060 };
  // building the request bytes is the generator's work: outside the measurement
  const requests: Buffer[] = [];
  for (let i = 0; i < count; i++) requests.push(optionsRequest(5060, 5060, 0, i));
  const t0 = cpuMs();
  for (let i = 0; i < count; i++) {
    void gen.send(requests[i]!, server);
    if ((i & 31) === 31) {
      clock.advance(2); // requests in, responses out and back
      net.log.length = 0;
    }
  }
  clock.advance(2);
  clock.advance(64 * 500); // Timer J: every transaction terminates inside the measurement
  const cpu = cpuMs() - t0;
  if (received !== count || layer.serverCount !== 0)
    throw new Error(`loop bench: ${received} of ${count} answered`);
  layer.close();
  return (count / cpu) * 1000;
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--generator'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  let runId = 0;
  /** One round against a fresh server; a round that lost datagrams (a stalled window) is run again. */
  const measure = async (start: () => Promise<{ port: number; close(): void }>, count: number) => {
    for (let attempt = 0; ; attempt++) {
      const server = await start();
      const c0 = cpuMs();
      child.send({ port: server.port, count, run: ++runId } satisfies RunCommand);
      const r = await new Promise<{ received: number; wallMs: number }>((resolve) =>
        child.once('message', (m) => resolve(m as { received: number; wallMs: number })),
      );
      const cpu = cpuMs() - c0;
      server.close();
      if (r.received === count || attempt === 2) {
        if (r.received !== count) incomplete[start === ourUdpServer ? 0 : 1]! += 1;
        return {
          complete: r.received === count,
          cpuRate: (r.received / cpu) * 1000,
          wallRate: (r.received / r.wallMs) * 1000,
        };
      }
      retried[start === ourUdpServer ? 0 : 1]! += 1;
    }
  };
  const retried = [0, 0];
  const incomplete = [0, 0];
  const ours: number[] = [];
  const peer: number[] = [];
  const oursWall: number[] = [];
  const peerWall: number[] = [];
  // warm-up, then interleaved rounds
  await measure(ourUdpServer, PER_ROUND);
  await measure(peerServer, PER_ROUND);
  for (let r = 0; r < ROUNDS; r++) {
    const a = await measure(ourUdpServer, PER_ROUND);
    const b = await measure(peerServer, PER_ROUND);
    // a round that stalled on a lost datagram measures the stall, not the stack
    if (a.complete) {
      ours.push(a.cpuRate);
      oursWall.push(a.wallRate);
    }
    if (b.complete) {
      peer.push(b.cpuRate);
      peerWall.push(b.wallRate);
    }
  }
  child.send('exit');
  loopBench(2000);
  const loop = median([
    loopBench(20_000),
    loopBench(20_000),
    loopBench(20_000),
    loopBench(20_000),
    loopBench(20_000),
  ]);
  const o = median(ours);
  const p = median(peer);
  const fmt = (x: number) => Math.round(x).toLocaleString('en').padStart(8);
  process.stdout.write(
    [
      `OPTIONS → 200 over UDP loopback, ${PER_ROUND} per round, ${ROUNDS} rounds each, window ${WINDOW}, server CPU time:`,
      `  strowger   ${fmt(o)} tx/s   (wall ${fmt(median(oursWall))} tx/s)`,
      `  npm sip    ${fmt(p)} tx/s   (wall ${fmt(median(peerWall))} tx/s)`,
      `  ratio      ${(o / p).toFixed(2)}x`,
      `strowger over the in-memory LoopNetwork (no sockets): ${fmt(loop)} tx/s`,
      `(per-round CPU rates, ours: ${ours.map((x) => Math.round(x)).join(' ')}; npm sip: ${peer.map((x) => Math.round(x)).join(' ')}; rounds rerun after a lost datagram, ours/npm sip: ${retried.join('/')}, incomplete: ${incomplete.join('/')})`,
      '',
    ].join('\n'),
  );
  printResult({
    name: 'transactions',
    value: Math.round(o),
    unit: 'server transactions/s (OPTIONS→200, UDP loopback, server CPU time)',
    peer: 'npm sip 0.0.6',
    peerValue: Math.round(p),
    ratio: Number((o / p).toFixed(2)),
    loopNetwork: Math.round(loop),
  });
  // both stacks hold Timer J (32 s) for their last transactions: do not wait for them
  process.exit(0);
}

if (process.argv.includes('--generator')) generator();
else await main();
