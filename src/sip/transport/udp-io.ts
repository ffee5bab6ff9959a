/**
 * The datagram I/O under a UDP transport, in one of two places:
 *
 * - {@link bindSocketIo}: a node:dgram socket on the calling thread.
 * - {@link bindThreadIo}: the socket lives on a thread of its own (the transport's I/O
 *   thread). The thread receives, packs the datagrams of one of its loop turns into one
 *   buffer and posts it; the sends of one loop turn of the calling thread cross the other
 *   way in one message, and the thread makes the system calls. The calling thread (the
 *   SIP stack's) then pays neither the send system calls — on loopback and on a busy
 *   switch the largest single cost of a call, since the kernel delivers the datagram
 *   inside `sendto` — nor a JavaScript callback and a Buffer per received datagram.
 *
 * Both report what they receive to a {@link DatagramSink} and complete each send through
 * its callback (after the system call, with its error if it failed), so the transport
 * above them behaves the same with either.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';

/** Where received datagrams and socket errors go. */
export interface DatagramSink {
  onMessage(msg: Buffer, address: string, ipv6: boolean, port: number): void;
  onError(err: Error): void;
}

export interface DatagramIo {
  /** The bound address and port. */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Set once by the transport, before the first datagram can be delivered. */
  sink: DatagramSink | undefined;
  /** `address` is an IP literal of the socket's family; `done` runs once the datagram went out (or failed). */
  send(data: Uint8Array, port: number, address: string, done: (err: Error | null) => void): void;
  /** The kernel's receive buffer as it reports it, bytes. */
  receiveBufferSize(): number;
  /** Closes the socket; sends must have completed (the transport waits for them). */
  close(): Promise<void>;
}

export interface BindOptions {
  address: string;
  port: number;
  family: 4 | 6;
  ipv6Only: boolean;
  receiveBufferSize: number | undefined;
}

// ---- on the calling thread ----------------------------------------------------------------

class SocketIo implements DatagramIo {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  sink: DatagramSink | undefined;
  readonly #socket: Socket;

  constructor(socket: Socket) {
    const a = socket.address();
    this.address = a.address;
    this.port = a.port;
    this.family = a.family === 'IPv6' ? 6 : 4;
    this.#socket = socket;
    socket.on('message', (msg: Buffer, r: RemoteInfo) =>
      this.sink?.onMessage(msg, r.address, r.family === 'IPv6', r.port),
    );
    socket.on('error', (err) => this.sink?.onError(err));
  }

  send(data: Uint8Array, port: number, address: string, done: (err: Error | null) => void): void {
    this.#socket.send(data, port, address, done);
  }

  receiveBufferSize(): number {
    return this.#socket.getRecvBufferSize();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** An IP literal needs no resolver: answering at once saves dns.lookup's deferral on every send. */
function literalLookup(family: 4 | 6) {
  return (
    host: string,
    _options: unknown,
    cb: (err: Error | null, address: string, family: number) => void,
  ) => cb(null, host, family);
}

/** Binds a socket on this thread; rejects with the system's reason. */
export async function bindSocketIo(o: BindOptions): Promise<DatagramIo> {
  const socket = createSocket({
    type: o.family === 6 ? 'udp6' : 'udp4',
    ipv6Only: o.ipv6Only,
    lookup: literalLookup(o.family),
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: o.address, port: o.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  try {
    if (o.receiveBufferSize !== undefined) socket.setRecvBufferSize(o.receiveBufferSize);
  } catch (err) {
    socket.close();
    throw err;
  }
  return new SocketIo(socket);
}

// ---- on the I/O thread ----------------------------------------------------------------------

/** Main → thread. `meta` holds [length, port] per datagram; `buf` their bytes end to end. */
type ToThread =
  | { t: 'send'; seq: number; buf: ArrayBuffer; meta: Uint32Array; addrs: string[] }
  | { t: 'close' };

/**
 * Thread → main. A batch carries the datagrams received in one turn (`meta`: [length, port,
 * 6 or 4] each) and the send batches completed since the last one; `errs` lists
 * [seq, index, message] for sends that failed.
 */
type FromThread =
  | { t: 'ready'; address: string; port: number; family: 4 | 6; rcvbuf: number }
  | { t: 'fail'; message: string }
  | {
      t: 'batch';
      buf?: ArrayBuffer;
      meta?: Uint32Array;
      addrs?: string[];
      done: number[];
      errs: Array<number | string>;
    }
  | { t: 'error'; message: string }
  | { t: 'closed' };

/**
 * The I/O thread's program. It runs from its source text (an eval worker: the library is
 * bundled, and a separate file would have to be found at run time), so it imports nothing
 * and uses only what it is given.
 */
function ioMain(port: MessagePort, o: BindOptions, dgram: typeof import('node:dgram')): void {
  const socket = dgram.createSocket({
    type: o.family === 6 ? 'udp6' : 'udp4',
    ipv6Only: o.ipv6Only,
    lookup: (host: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void) =>
      cb(null, host, o.family),
  });
  let recv: Array<Buffer | RemoteInfo> = [];
  let done: number[] = [];
  let errs: Array<number | string> = [];
  let scheduled = false;
  let closing = false;
  const flush = () => {
    scheduled = false;
    if (closing) return;
    const n = recv.length / 2;
    if (n === 0) {
      port.postMessage({ t: 'batch', done, errs });
    } else {
      let total = 0;
      for (let i = 0; i < recv.length; i += 2) total += (recv[i] as Buffer).length;
      const bytes = new Uint8Array(total);
      const meta = new Uint32Array(n * 3);
      const addrs = new Array<string>(n);
      let off = 0;
      for (let i = 0, j = 0; i < recv.length; i += 2, j++) {
        const m = recv[i] as Buffer;
        const r = recv[i + 1] as RemoteInfo;
        bytes.set(m, off);
        off += m.length;
        meta[j * 3] = m.length;
        meta[j * 3 + 1] = r.port;
        meta[j * 3 + 2] = r.family === 'IPv6' ? 6 : 4;
        addrs[j] = r.address;
      }
      recv = [];
      port.postMessage({ t: 'batch', buf: bytes.buffer, meta, addrs, done, errs }, [
        bytes.buffer,
        meta.buffer,
      ]);
    }
    done = [];
    errs = [];
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  socket.on('message', (m: Buffer, r: RemoteInfo) => {
    if (closing) return;
    recv.push(m, r);
    schedule();
  });
  port.on('message', (m: ToThread) => {
    if (m.t === 'send') {
      const bytes = new Uint8Array(m.buf);
      const n = m.addrs.length;
      let left = n;
      let off = 0;
      for (let i = 0; i < n; i++) {
        const len = m.meta[i * 2] as number;
        const view = bytes.subarray(off, off + len);
        off += len;
        socket.send(view, m.meta[i * 2 + 1] as number, m.addrs[i] as string, (err) => {
          if (err) errs.push(m.seq, i, err.message);
          if (--left === 0) {
            done.push(m.seq);
            schedule();
          }
        });
      }
    } else if (m.t === 'close') {
      closing = true;
      socket.close(() => {
        port.postMessage({ t: 'closed' });
        port.close();
      });
    }
  });
  socket.once('error', (err: Error) => {
    port.postMessage({ t: 'fail', message: err.message });
    port.close();
  });
  socket.bind({ address: o.address, port: o.port, exclusive: true }, () => {
    socket.removeAllListeners('error');
    socket.on('error', (err: Error) => port.postMessage({ t: 'error', message: err.message }));
    try {
      if (o.receiveBufferSize !== undefined) socket.setRecvBufferSize(o.receiveBufferSize);
    } catch (err) {
      port.postMessage({ t: 'fail', message: (err as Error).message });
      socket.close(() => port.close());
      return;
    }
    const a = socket.address();
    port.postMessage({
      t: 'ready',
      address: a.address,
      port: a.port,
      family: a.family === 'IPv6' ? 6 : 4,
      rcvbuf: socket.getRecvBufferSize(),
    });
  });
}

const BOOT = [
  // a transpiler that keeps function names (tsx, esbuild's keepNames) wraps functions in a
  // __name() helper the source text does not carry: the thread gets a stand-in
  'var __name = (fn) => fn;',
  "const { parentPort, workerData } = require('node:worker_threads');",
  `(${ioMain.toString()})(parentPort, workerData, require('node:dgram'));`,
].join('\n');

/** How long close() waits for the thread to close its socket before stopping it. */
const CLOSE_WAIT_MS = 5_000;

type Done = (err: Error | null) => void;

class ThreadIo implements DatagramIo {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly #worker: Worker;
  #sink: DatagramSink | undefined;
  /** Messages that came before the transport set its sink. */
  #early: FromThread[] | undefined = [];
  readonly #rcvbuf: number;
  // the sends of this turn, not yet posted
  #outData: Uint8Array[] = [];
  #outPort: number[] = [];
  #outAddr: string[] = [];
  #outDone: Done[] = [];
  #scheduled = false;
  #seq = 0;
  /** Posted send batches by sequence number, until the thread reports them done. */
  readonly #waiting = new Map<number, Done[]>();
  /** Why the thread is gone, once it is. */
  #dead: Error | undefined;
  #closing: Promise<void> | undefined;

  constructor(worker: Worker, ready: Extract<FromThread, { t: 'ready' }>) {
    this.#worker = worker;
    this.address = ready.address;
    this.port = ready.port;
    this.family = ready.family;
    this.#rcvbuf = ready.rcvbuf;
    worker.on('message', (m: FromThread) => this.#onMessage(m));
    worker.on('error', (err) => this.#die(new Error(`the UDP I/O thread failed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (this.#closing === undefined) this.#die(new Error(`the UDP I/O thread exited (code ${code})`));
    });
  }

  get sink(): DatagramSink | undefined {
    return this.#sink;
  }

  set sink(sink: DatagramSink | undefined) {
    this.#sink = sink;
    const early = this.#early;
    this.#early = undefined;
    if (sink) for (const m of early ?? []) this.#onMessage(m);
  }

  send(data: Uint8Array, port: number, address: string, done: Done): void {
    if (this.#dead) {
      done(this.#dead);
      return;
    }
    this.#outData.push(data);
    this.#outPort.push(port);
    this.#outAddr.push(address);
    this.#outDone.push(done);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  receiveBufferSize(): number {
    return this.#dead ? 0 : this.#rcvbuf;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const data = this.#outData;
    const n = data.length;
    if (n === 0 || this.#dead) return;
    let total = 0;
    for (let i = 0; i < n; i++) total += (data[i] as Uint8Array).length;
    const bytes = new Uint8Array(total);
    const meta = new Uint32Array(n * 2);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const d = data[i] as Uint8Array;
      bytes.set(d, off);
      off += d.length;
      meta[i * 2] = d.length;
      meta[i * 2 + 1] = this.#outPort[i] as number;
    }
    const seq = ++this.#seq;
    const { addrs, dones } = this.#takeOut();
    this.#waiting.set(seq, dones);
    const msg: ToThread = { t: 'send', seq, buf: bytes.buffer, meta, addrs };
    this.#worker.postMessage(msg, [bytes.buffer, meta.buffer]);
  };

  /** Empties this turn's sends; returns their destinations' addresses and completions. */
  #takeOut(): { addrs: string[]; dones: Done[] } {
    const out = { addrs: this.#outAddr, dones: this.#outDone };
    this.#outData = [];
    this.#outPort = [];
    this.#outAddr = [];
    this.#outDone = [];
    return out;
  }

  #onMessage(m: FromThread): void {
    if (this.#early) {
      this.#early.push(m);
      return;
    }
    if (m.t === 'batch') {
      if (m.buf && m.meta && m.addrs) {
        const meta = m.meta;
        let off = 0;
        for (let j = 0; j < m.addrs.length; j++) {
          const len = meta[j * 3] as number;
          const msg = Buffer.from(m.buf, off, len);
          off += len;
          this.#sink?.onMessage(msg, m.addrs[j] as string, meta[j * 3 + 2] === 6, meta[j * 3 + 1] as number);
        }
      }
      let failed: Map<string, string> | undefined;
      for (let e = 0; e < m.errs.length; e += 3) {
        failed ??= new Map();
        failed.set(`${m.errs[e]}:${m.errs[e + 1]}`, String(m.errs[e + 2]));
      }
      for (const seq of m.done) {
        const dones = this.#waiting.get(seq);
        if (!dones) continue;
        this.#waiting.delete(seq);
        for (let i = 0; i < dones.length; i++) {
          const why = failed?.get(`${seq}:${i}`);
          (dones[i] as Done)(why === undefined ? null : new Error(why));
        }
      }
    } else if (m.t === 'error') this.#sink?.onError(new Error(m.message));
  }

  /** The thread is gone: every send waiting and to come fails with the reason. */
  #die(reason: Error): void {
    if (this.#dead) return;
    this.#dead = reason;
    const waiting = [...this.#waiting.values(), this.#takeOut().dones];
    this.#waiting.clear();
    for (const dones of waiting) for (const d of dones) d(reason);
    if (this.#closing === undefined) this.#sink?.onError(reason);
  }

  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = new Promise<void>((resolve) => {
        if (this.#dead) {
          void this.#worker.terminate().then(() => resolve());
          return;
        }
        const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_WAIT_MS);
        this.#worker.once('exit', () => {
          clearTimeout(timer);
          this.#die(new Error('the UDP transport is closed'));
          resolve();
        });
        this.#worker.postMessage({ t: 'close' } satisfies ToThread);
      });
    }
    return this.#closing;
  }
}

/** Starts the I/O thread and binds its socket; rejects with the system's reason. */
export function bindThreadIo(o: BindOptions): Promise<DatagramIo> {
  const worker = new Worker(BOOT, { eval: true, workerData: o, name: 'strowger-udp-io' });
  return new Promise<DatagramIo>((resolve, reject) => {
    const early = (err: Error | number) => {
      reject(new Error(typeof err === 'number' ? `the UDP I/O thread exited with code ${err}` : err.message));
    };
    worker.once('error', early);
    worker.once('exit', early);
    worker.once('message', (m: FromThread) => {
      worker.off('error', early);
      worker.off('exit', early);
      if (m.t !== 'ready') {
        void worker.terminate();
        reject(new Error(m.t === 'fail' ? m.message : `unexpected ${m.t} from the UDP I/O thread`));
        return;
      }
      resolve(new ThreadIo(worker, m));
    });
  });
}
