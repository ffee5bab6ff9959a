/**
 * L8 api — the switch's outside: `createSwitch(config)` (the library entry), the
 * configuration (schema, loader, diff, watcher), logs, the CLI's banner. The CTI, the
 * wallboard and metrics come later.
 */

// the call model createSwitch() returns
export {
  type AuthFailureEvent,
  Call,
  type CallEndInfo,
  type CallEvents,
  type CallState,
  Leg,
  type LegEvents,
  type RegistrationEvent,
  Switch,
  type SwitchEvents,
  type TrunkRegistrationEvent,
} from '../switch/index.js';
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
export { findDemoConfig, findPromptDir } from './paths.js';
export { type CreateSwitchOptions, createSwitch, openTransports, startMediaEngine } from './switch.js';
export { VERSION } from './version.js';
