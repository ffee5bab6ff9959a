/**
 * Structured logs: pino, one JSON object per line, on stderr (stdout is for the banner
 * and command output). Each line begins with the same keys in the same order:
 *
 *   {"level":"warn","time":"2026-01-01T12:00:00.000Z","pid":4242,"hostname":"pbx",...,"msg":"..."}
 *
 * Authentication failures are one fixed shape that fail2ban can match (docs/configuration.md
 * § Logging has the filter):
 *
 *   {"level":"warn","time":"…","pid":…,"hostname":"…","event":"auth_failure","src_ip":"203.0.113.7",
 *    "src_port":5060,"transport":"udp","user":"1001","method":"REGISTER","reason":"bad password","msg":"…"}
 *
 * `event` and `src_ip` come first after the fixed keys, so text a caller controls (the
 * user name, the reason) can never come before the address fail2ban reads.
 */
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AuthFailureEvent } from '../switch/index.js';
import type { LogLevel } from './config/index.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (default: stderr, written synchronously so nothing is lost at exit). */
  destination?: DestinationStream;
  /** Fixed fields of every line (default: pid and host name). */
  base?: Record<string, unknown>;
}

/** The fail2ban `failregex` that matches {@link logAuthFailure} lines. */
export const FAIL2BAN_FAILREGEX = '"event":"auth_failure","src_ip":"<HOST>"';

export const AUTH_FAILURE_EVENT = 'auth_failure';

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A failed digest check, as the switch reports it (`authFailure` event). */
export type AuthFailure = AuthFailureEvent;

/** Logs one SIP authentication failure in the fail2ban shape. */
export function logAuthFailure(logger: Logger, f: AuthFailure): void {
  logger.warn(
    {
      event: AUTH_FAILURE_EVENT,
      src_ip: f.ip,
      src_port: f.port,
      transport: f.transport,
      user: f.user,
      method: f.method,
      reason: f.reason,
    },
    'SIP authentication failed',
  );
}
