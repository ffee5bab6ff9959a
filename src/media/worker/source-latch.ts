/**
 * Strict source learning for one RTP stream (symmetric RTP / NAT latching,
 * without RTP Bleed).
 *
 * A phone behind NAT sends from an address its SDP does not name, so the
 * engine learns where the stream really comes from and (with symmetric RTP,
 * RFC 4961) sends back there. "RTP Bleed" is what happens when a relay keeps
 * learning: anyone who sprays packets at its ports takes the stream over. The
 * rules here:
 *
 * - A packet from exactly the signalled address and port is the peer: that
 *   source is learned at once.
 * - Any other source must first send `learnPackets` consecutive packets (same
 *   SSRC, each sequence number one more than the last) before it is learned;
 *   until then its packets are dropped. A different source in between starts
 *   the count again.
 * - Once a source is learned, packets from every other address or port are
 *   dropped, for good. Only `reset()` (a new offer/answer: `endpoint.update()`)
 *   opens learning again.
 *
 * Pure and allocation-free on `accept`.
 */
import type { SocketAddress } from './types.js';

/** `accept` results. */
export const LATCH_REJECT = 0;
export const LATCH_ACCEPT = 1;
/** Accepted, and this packet made its source the learned one. */
export const LATCH_LEARNED = 2;

export type LatchResult = typeof LATCH_REJECT | typeof LATCH_ACCEPT | typeof LATCH_LEARNED;

export class SourceLatch {
  #learnPackets: number;
  #signalledAddress = '';
  #signalledPort = -1;
  #learnedAddress = '';
  #learnedPort = -1;
  #candAddress = '';
  #candPort = -1;
  #candSsrc = 0;
  #candSeq = 0;
  #candCount = 0;

  constructor(signalled: SocketAddress | null, learnPackets: number) {
    this.#learnPackets = 1;
    this.reset(signalled, learnPackets);
  }

  /** Forgets the learned source and starts learning again (new signalled address). */
  reset(signalled: SocketAddress | null, learnPackets = this.#learnPackets): void {
    this.#learnPackets = Math.max(1, Math.floor(learnPackets));
    this.#signalledAddress = signalled ? signalled.address : '';
    this.#signalledPort = signalled ? signalled.port : -1;
    this.#learnedAddress = '';
    this.#learnedPort = -1;
    this.#candAddress = '';
    this.#candPort = -1;
    this.#candCount = 0;
  }

  /** True once a source is learned. */
  get learned(): boolean {
    return this.#learnedPort >= 0;
  }
  /** Learned source address ('' before). */
  get learnedAddress(): string {
    return this.#learnedAddress;
  }
  /** Learned source port (-1 before). */
  get learnedPort(): number {
    return this.#learnedPort;
  }

  /** Decides about one packet from `address:port` carrying `ssrc`/`seq`. */
  accept(address: string, port: number, ssrc: number, seq: number): LatchResult {
    if (this.#learnedPort >= 0) {
      return port === this.#learnedPort && address === this.#learnedAddress ? LATCH_ACCEPT : LATCH_REJECT;
    }
    if (port === this.#signalledPort && address === this.#signalledAddress) {
      return this.#learn(address, port);
    }
    if (port === this.#candPort && address === this.#candAddress && ssrc === this.#candSsrc) {
      if (seq === ((this.#candSeq + 1) & 0xffff)) this.#candCount++;
      else this.#candCount = 1;
    } else {
      this.#candAddress = address;
      this.#candPort = port;
      this.#candSsrc = ssrc;
      this.#candCount = 1;
    }
    this.#candSeq = seq;
    if (this.#candCount >= this.#learnPackets) return this.#learn(address, port);
    return LATCH_REJECT;
  }

  /** Accepts a source without sequence numbers (RTCP): only the signalled address or `trusted`. */
  acceptFrom(address: string, port: number, trustedAddress: string): LatchResult {
    if (this.#learnedPort >= 0) {
      return port === this.#learnedPort && address === this.#learnedAddress ? LATCH_ACCEPT : LATCH_REJECT;
    }
    if (
      (port === this.#signalledPort && address === this.#signalledAddress) ||
      (trustedAddress !== '' && address === trustedAddress)
    ) {
      return this.#learn(address, port);
    }
    return LATCH_REJECT;
  }

  #learn(address: string, port: number): LatchResult {
    this.#learnedAddress = address;
    this.#learnedPort = port;
    this.#candCount = 0;
    return LATCH_LEARNED;
  }
}
