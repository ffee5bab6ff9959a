/** strowger/sip — the SIP stack: messages, parser (more layers land here as they are built). */
export {};
