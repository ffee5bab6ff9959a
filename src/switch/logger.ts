/**
 * What the switch logs through: the subset of a pino logger it uses (`createLogger()` of
 * strowger's api layer satisfies it). The default logs nothing.
 */
export interface SwitchLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const noop = () => {};

/** A logger that drops everything. */
export const SILENT_LOGGER: SwitchLogger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});
