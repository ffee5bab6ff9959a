/** L2 sip/parser: message parser and stream framer. */

export { statelessErrorResponse } from './error-response.js';
export { DEFAULT_LIMITS, type ParserLimits } from './limits.js';
export { type ParseOptions, parseMessage } from './parse-message.js';
export { type FramerOutput, SipStreamFramer, type StreamFramerOptions } from './stream-framer.js';
