/**
 * RTP/RTCP port pairs from a configured range: an even RTP port and the odd
 * port above it for RTCP (RFC 3550 §11). The host hands ports to workers, so
 * every worker draws from the same range without overlap. A cursor walks the
 * range, so a port just released is reused last — a late packet of a
 * finished call does not land in the next one.
 */
import { StrowgerError } from '../../core/index.js';

export interface PortRange {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port (the last pair must fit). */
  max: number;
}

export class PortAllocator {
  readonly min: number;
  readonly pairs: number;
  readonly #used: Uint8Array;
  #cursor = 0;
  #inUse = 0;

  constructor(range: PortRange) {
    const min = range.min + (range.min % 2);
    if (!(Number.isInteger(range.min) && Number.isInteger(range.max) && min >= 1024 && range.max <= 65535)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'port range must be integers within 1024..65535');
    }
    const pairs = Math.floor((range.max - min + 1) / 2);
    if (pairs < 1) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'port range holds no RTP/RTCP pair');
    this.min = min;
    this.pairs = pairs;
    this.#used = new Uint8Array(pairs);
  }

  /** Pairs handed out. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Takes the next free pair; returns its RTP port. Throws `ERR_INVALID_STATE` when none is free. */
  take(): number {
    for (let i = 0; i < this.pairs; i++) {
      const k = (this.#cursor + i) % this.pairs;
      if (this.#used[k] === 0) {
        this.#used[k] = 1;
        this.#inUse++;
        this.#cursor = (k + 1) % this.pairs;
        return this.min + 2 * k;
      }
    }
    throw new StrowgerError('ERR_INVALID_STATE', `all ${this.pairs} RTP port pairs are in use`);
  }

  /** Gives a pair back (by its RTP port). Releasing a free pair does nothing. */
  release(rtpPort: number): void {
    const k = (rtpPort - this.min) / 2;
    if (!(Number.isInteger(k) && k >= 0 && k < this.pairs) || this.#used[k] === 0) return;
    this.#used[k] = 0;
    this.#inUse--;
  }
}
