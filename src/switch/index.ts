/**
 * L7 switch — where signalling meets media and the ACD: calls, legs, bridges, dial plan,
 * PBX and call-center features, CDRs, storage. Today: the storage contract with its
 * SQLite and in-memory implementations, and the dial-plan matcher; the call model lands
 * on top of the SIP user agent and the media engine (issue 7).
 */

export * from './dialplan/index.js';
export * from './storage/index.js';
