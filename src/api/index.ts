/**
 * L8 api — the switch's outside: the configuration (schema, loader, diff, watcher), logs,
 * the CLI's banner. createSwitch(), the CTI, the wallboard and metrics come with the switch
 * core (issue 7).
 */
export { type BannerOptions, formatBanner } from './cli/banner.js';
export * from './config/index.js';
export {
  AUTH_FAILURE_EVENT,
  type AuthFailure,
  createLogger,
  FAIL2BAN_FAILREGEX,
  type Logger,
  type LoggerOptions,
  logAuthFailure,
} from './logging.js';
export { VERSION } from './version.js';
