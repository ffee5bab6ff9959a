import { type ErrorCode, StrowgerError } from '../../core/index.js';

/**
 * Every error a {@link Storage} rejects with. `code` is
 * - `ERR_STORAGE`: a bad input (then `field` names it, e.g. `cdr.answeredAt`), a duplicate
 *   id, a database newer than this software, or a failure of the database itself (`cause`),
 * - `ERR_CLOSED`: the storage was closed.
 */
export class StorageError extends StrowgerError {
  /** The offending input field, as a path (`cdr.caller.number`, `event[2].type`). */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
  }
}

/** Throws ERR_STORAGE naming `field` unless `ok`. */
export function check(ok: unknown, field: string, expected: string): asserts ok {
  if (!ok) throw new StorageError('ERR_STORAGE', `${field} must be ${expected}`, { field });
}

export function closedError(): StorageError {
  return new StorageError('ERR_CLOSED', 'storage is closed');
}
