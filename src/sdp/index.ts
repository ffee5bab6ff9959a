/** strowger/sdp — SDP (RFC 8866) parse/serialize and offer/answer types. */
export {};
