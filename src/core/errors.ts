/**
 * One base error class for the whole library. Every error Strowger throws or
 * rejects with is a {@link StrowgerError} whose `code` is one of the stable
 * strings in {@link ErrorCode}. Codes survive the worker boundary (see
 * {@link serializeError}); `instanceof` does not, so compare codes.
 */

/** Every stable error code. Adding a code is a minor change; renaming one is breaking. */
export const ERROR_CODES = [
  'ERR_INVALID_ARGUMENT',
  'ERR_INVALID_STATE',
  'ERR_CLOSED',
  'ERR_ABORTED',
  'ERR_TIMEOUT',
  'ERR_NOT_SUPPORTED',
  'ERR_SIP_PARSE',
  'ERR_SIP_RESPONSE',
  'ERR_SDP_PARSE',
  'ERR_SDP_NEGOTIATION',
  'ERR_RTP_PARSE',
  'ERR_CODEC',
  'ERR_MEDIA',
  'ERR_WAV_PARSE',
  'ERR_TX_TIMEOUT',
  'ERR_TRANSPORT',
  'ERR_AUTH',
  'ERR_WORKER_DIED',
  'ERR_CONFIG',
  'ERR_STORAGE',
  'ERR_ACD',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface StrowgerErrorOptions {
  cause?: unknown;
}

export class StrowgerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: StrowgerErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` carries a Strowger error code (optionally a given one), whatever realm made it. */
export function isStrowgerError(err: unknown, code?: ErrorCode): err is StrowgerError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !(ERROR_CODES as readonly string[]).includes(c)) return false;
  return code === undefined || c === code;
}

/** Plain-data form of an error, safe for `postMessage` and JSON. */
export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function serializeError(err: unknown): SerializedError {
  if (isStrowgerError(err)) {
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err)) {
      if (k === 'code' || k === 'name' || k === 'message' || k === 'stack' || k === 'cause') continue;
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) details[k] = v;
    }
    return { name: err.name, code: err.code, message: err.message, details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'Error', code: 'ERR_INVALID_STATE', message };
}

/** Rebuilds a {@link StrowgerError} on this side of a worker boundary. */
export function deserializeError(data: SerializedError): StrowgerError {
  const err = new StrowgerError(data.code, data.message);
  err.name = data.name;
  if (data.details) Object.assign(err, data.details);
  return err;
}

/** Throws `ERR_INVALID_ARGUMENT` naming the argument when `ok` is false. */
export function assertArgument(ok: unknown, name: string, expected: string): asserts ok {
  if (!ok) throw new StrowgerError('ERR_INVALID_ARGUMENT', `${name} must be ${expected}`);
}
