/** L0 core: errors, typed events, injected time and randomness, byte helpers. */
export {
  ERROR_CODES,
  type ErrorCode,
  StrowgerError,
  type StrowgerErrorOptions,
  isStrowgerError,
  type SerializedError,
  serializeError,
  deserializeError,
  assertArgument,
} from './errors.js';
export { type EventMap, TypedEmitter } from './events.js';
export {
  type Clock,
  type ClockTimer,
  RealClock,
  realClock,
  FakeClock,
  type FakeClockOptions,
  flushMicrotasks,
  sleep,
} from './clock.js';
export { type Random, cryptoRandom, seededRandom, randomToken } from './random.js';
export { MinHeap } from './heap.js';
export { CHANNELS } from './diagnostics.js';
export {
  utf8Encode,
  utf8Decode,
  utf8Length,
  concatBytes,
  indexOfCrlfCrlf,
  toHex,
  bytesEqual,
} from './bytes.js';
