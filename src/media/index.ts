/**
 * strowger/media — the media layers: codecs (PCMU, PCMA, L16, G.722, Opus),
 * resampler, DTMF detection, WAV files, the adaptive jitter buffer with PLC,
 * the conference mixer with its coaching matrix, tones and prompts. The
 * worker-thread media engine joins these when it lands.
 */

export * from './audio/index.js';
export * from './codecs/index.js';
export * from './jitter/index.js';
export * from './mixer/index.js';
