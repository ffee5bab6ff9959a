/**
 * L7 switch — where signalling meets media and the ACD: the call model (Switch → Call →
 * Leg → media session), the B2BUA with anchored media, registrations, trunks, the dial
 * plan, the built-in applications (echo, playback, hangup), CDRs and storage.
 */

export {
  Call,
  type CallEndInfo,
  type CallEvents,
  type CallState,
  dispositionOf,
  pickFailure,
} from './call.js';
export * from './dialplan/index.js';
export { type CallSource, type Destination, Directory } from './directory.js';
export { Leg, type LegEvents, type LegRole } from './leg.js';
export { SILENT_LOGGER, type SwitchLogger } from './logger.js';
export { pooledCryptoRandom } from './random-pool.js';
export type {
  CallerIdentity,
  SwitchApplication,
  SwitchDid,
  SwitchMediaSettings,
  SwitchReloadable,
  SwitchSettings,
  SwitchSipSettings,
  SwitchTrunk,
  SwitchUser,
} from './settings.js';
export * from './storage/index.js';
export {
  type AuthFailureEvent,
  createSwitchCore,
  type RegistrationEvent,
  SWITCH_DEFAULTS,
  Switch,
  type SwitchCoreOptions,
  type SwitchEvents,
} from './switch.js';
export type { TrunkRegistrationEvent } from './trunks.js';
