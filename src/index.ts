/**
 * strowger — the public entry. Layers are also published as subpath exports:
 * `strowger/sip`, `strowger/sdp` (and later `strowger/rtp`, `strowger/media`,
 * `strowger/acd`, `strowger/testing`).
 */
export * from './core/index.js';
export { VERSION } from './api/version.js';
