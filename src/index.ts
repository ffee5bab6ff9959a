/**
 * strowger — the public entry: `createSwitch(config)` with its call model, configuration
 * and storage (L8 api), and the core (errors, events, clocks). The layers are published as
 * subpath exports too: `strowger/sip`, `strowger/sdp`, `strowger/rtp`, `strowger/media`,
 * `strowger/acd`, `strowger/testing`.
 */

export * from './api/index.js';
export * from './core/index.js';
