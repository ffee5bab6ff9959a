/** strowger/sip — the SIP stack: messages, URIs, headers, the parser and the stream framer. */

export * from './dialog/index.js';
export * from './message/index.js';
export * from './parser/index.js';
export * from './transaction/index.js';
export * from './transport/index.js';
export * from './ua/index.js';
