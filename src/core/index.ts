/** L0 core: errors, typed events, injected time and randomness, byte helpers. */

export {
  bytesEqual,
  concatBytes,
  indexOfCrlfCrlf,
  toHex,
  utf8Decode,
  utf8Encode,
  utf8Length,
} from './bytes.js';
export {
  type Clock,
  type ClockTimer,
  FakeClock,
  type FakeClockOptions,
  flushMicrotasks,
  RealClock,
  realClock,
  sleep,
} from './clock.js';
export { CHANNELS } from './diagnostics.js';
export {
  assertArgument,
  deserializeError,
  ERROR_CODES,
  type ErrorCode,
  isStrowgerError,
  type SerializedError,
  StrowgerError,
  type StrowgerErrorOptions,
  serializeError,
} from './errors.js';
export { type EventMap, TypedEmitter } from './events.js';
export { type HeapSlot, IndexedHeap } from './indexed-heap.js';
export { cryptoRandom, type Random, randomToken, seededRandom } from './random.js';
