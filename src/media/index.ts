/**
 * strowger/media — the media layers: codecs (PCMU, PCMA, L16, G.722, Opus),
 * resampler, DTMF detection, WAV files, the adaptive jitter buffer with PLC,
 * the conference mixer with its coaching matrix, tones and prompts, and the
 * worker-thread media engine (`createMediaEngine`) that joins them.
 */

export * from './audio/index.js';
export * from './codecs/index.js';
export * from './jitter/index.js';
export * from './mixer/index.js';
export * from './worker/index.js';
