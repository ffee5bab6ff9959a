import { type ErrorCode, StrowgerError } from '../core/index.js';

/** What an {@link AcdError} is about: ids of the entities involved, when known. */
export interface AcdErrorDetails {
  queueId?: string;
  agentId?: string;
  interactionId?: string;
}

/**
 * Every error the ACD throws. `code` is one of
 * - `ERR_ACD`: an id that names no queue, agent or interaction,
 * - `ERR_INVALID_ARGUMENT`: a malformed argument or configuration field (the message names it),
 * - `ERR_INVALID_STATE`: a valid request at the wrong moment (answering an offer that was
 *   withdrawn, logging in an agent twice, removing a queue with callers waiting),
 * - `ERR_CLOSED`: the ACD was closed.
 */
export class AcdError extends StrowgerError {
  readonly queueId: string | undefined;
  readonly agentId: string | undefined;
  readonly interactionId: string | undefined;

  constructor(code: ErrorCode, message: string, details: AcdErrorDetails = {}) {
    super(code, message);
    this.queueId = details.queueId;
    this.agentId = details.agentId;
    this.interactionId = details.interactionId;
  }
}

/** Throws `ERR_INVALID_ARGUMENT` naming `field` unless `ok`. */
export function check(ok: unknown, field: string, expected: string): asserts ok {
  if (!ok) throw new AcdError('ERR_INVALID_ARGUMENT', `${field} must be ${expected}`);
}

export function isNonNegativeFinite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

export function isPositiveFinite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

export function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}
