/**
 * The worker's view of the network: bind a UDP port, receive datagrams with
 * their source, send datagrams. `udpSockets` is the real one (node:dgram);
 * {@link MemoryNetwork} is an in-memory one for tests. Only media workers
 * bind these: the main thread never touches an RTP byte.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { StrowgerError } from '../../core/index.js';

/** Called for every datagram; `data` is only valid during the call (copy what you keep). */
export type DatagramHandler = (data: Uint8Array, address: string, port: number) => void;

export interface MediaSocket {
  readonly port: number;
  /** Sends `data` (the whole view) to `address:port`. Never throws on network errors. */
  send(data: Uint8Array, port: number, address: string): void;
  /**
   * Restricts the socket to one peer (a learned source): from then on only
   * its datagrams are received — the kernel drops the rest — and sending to
   * it skips the per-datagram address handling. Optional; takes effect
   * asynchronously; `send` keeps working meanwhile.
   */
  connect?(port: number, address: string): void;
  /** Undoes {@link connect} (learning starts again). */
  disconnect?(): void;
  close(): void;
}

export interface MediaSocketFactory {
  /**
   * Binds `address:port`; rejects with `ERR_TRANSPORT` (and `errno`, e.g.
   * 'EADDRINUSE', as a property) when the port cannot be had.
   */
  bind(address: string, port: number, onMessage: DatagramHandler): Promise<MediaSocket>;
}

/** Socket buffer sizes for the real sockets: a worker drains a few thousand sockets per tick. */
const RECV_BUFFER = 256 * 1024;

const NOT_CONNECTED = 0;
const CONNECTING = 1;
const CONNECTED = 2;

class UdpMediaSocket implements MediaSocket {
  readonly port: number;
  readonly #socket: Socket;
  #closed = false;
  #state = NOT_CONNECTED;
  #peerPort = -1;
  #peerAddress = '';
  /** Bumped by every connect/disconnect, so a late connect callback is ignored. */
  #generation = 0;

  constructor(socket: Socket, port: number) {
    this.#socket = socket;
    this.port = port;
  }

  send(data: Uint8Array, port: number, address: string): void {
    if (this.#closed) return;
    try {
      if (this.#state === CONNECTED) {
        // connected: only the peer can be sent to (and it needs no address)
        if (port === this.#peerPort && address === this.#peerAddress) this.#socket.send(data);
        return;
      }
      this.#socket.send(data, port, address);
    } catch {
      // a bad destination (e.g. port 0 from a broken SDP) is dropped like a lost packet
    }
  }

  connect(port: number, address: string): void {
    if (this.#closed) return;
    if (this.#state !== NOT_CONNECTED && port === this.#peerPort && address === this.#peerAddress) return;
    this.disconnect();
    const gen = ++this.#generation;
    this.#state = CONNECTING;
    this.#peerPort = port;
    this.#peerAddress = address;
    try {
      this.#socket.connect(port, address, () => {
        if (gen === this.#generation && !this.#closed) this.#state = CONNECTED;
      });
    } catch {
      this.#state = NOT_CONNECTED;
    }
  }

  disconnect(): void {
    if (this.#state === NOT_CONNECTED) return;
    this.#generation++;
    const was = this.#state;
    this.#state = NOT_CONNECTED;
    this.#peerPort = -1;
    this.#peerAddress = '';
    if (was === CONNECTED && !this.#closed) {
      try {
        this.#socket.disconnect();
      } catch {
        // not connected after all
      }
    } else if (was === CONNECTING && !this.#closed) {
      // node cannot cancel a connect in progress: undo it once it completes
      this.#socket.once('connect', () => {
        if (this.#state === NOT_CONNECTED && !this.#closed) {
          try {
            this.#socket.disconnect();
          } catch {
            // already undone
          }
        }
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}

/** node:dgram sockets. */
export const udpSockets: MediaSocketFactory = {
  bind(address, port, onMessage) {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
      const onError = (err: NodeJS.ErrnoException) => {
        socket.close();
        const e = new StrowgerError('ERR_TRANSPORT', `cannot bind ${address}:${port}: ${err.message}`, {
          cause: err,
        });
        Object.assign(e, { errno: err.code ?? 'EUNKNOWN', port });
        reject(e);
      };
      socket.once('error', onError);
      socket.bind(port, address, () => {
        socket.off('error', onError);
        // after bind: errors such as ICMP unreachable are not fatal for media
        socket.on('error', () => {});
        try {
          socket.setRecvBufferSize(RECV_BUFFER);
        } catch {
          // the system may cap it; the default still works
        }
        socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => onMessage(msg, rinfo.address, rinfo.port));
        resolve(new UdpMediaSocket(socket, socket.address().port));
      });
    });
  },
};
