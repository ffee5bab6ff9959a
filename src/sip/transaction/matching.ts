/**
 * Transaction identity (RFC 3261 §17.1.3, §17.2.3, §8.2.2.2).
 *
 * Client side: a response belongs to the client transaction whose request
 * carried the same top-Via branch and whose method is the CSeq method.
 *
 * Server side, RFC 3261 requests (branch starts with the magic cookie
 * `z9hG4bK`): branch + sent-by of the top Via + method, where an ACK counts
 * as INVITE. RFC 2543 requests (no cookie): Request-URI, To tag, From tag,
 * Call-ID, CSeq and the top Via; an ACK is matched without its To tag (it
 * carries the tag of our response) and the tag is checked afterwards.
 *
 * Keys are strings joined with NUL, a character no header value can hold.
 */
import { type Random, randomToken } from '../../core/index.js';
import { BRANCH_MAGIC, type SipRequest } from '../message/index.js';

const SEP = '\u0000';

/** A fresh RFC 3261 branch: the magic cookie and 16 random token characters (~95 bits). */
export function createBranch(random: Random): string {
  return BRANCH_MAGIC + randomToken(random, 16);
}

/** Client transaction key from a branch and a (CSeq) method. */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + method;
}

/** True when the branch is an RFC 3261 one (magic cookie followed by something unique). */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > BRANCH_MAGIC.length && branch.startsWith(BRANCH_MAGIC);
}

/**
 * What the server side needs to know about an inbound request. Reading it
 * parses From, To, Call-ID, CSeq and Via (already validated by the parser).
 */
export interface RequestIdentity {
  /** Index key of the transaction the request belongs to (ACK → its INVITE, CANCEL → its own). */
  readonly key: string;
  /** RFC 2543 ACK: the INVITE's key without the To tag (the ACK carries our response's tag). */
  readonly ackKey: string | undefined;
  /** Key of the transaction a CANCEL cancels (same branch or 2543 identity, method INVITE). */
  readonly cancelTargetKey: string | undefined;
  /** Branch + sent-by, for a CANCEL of a non-INVITE request (RFC 3261 requests only). */
  readonly branchKey: string | undefined;
  /** From tag + Call-ID + CSeq, for merged-request detection (requests without a To tag). */
  readonly mergeKey: string | undefined;
  readonly rfc3261: boolean;
  readonly toTag: string | undefined;
}

/**
 * Computes the identity of an inbound request.
 * @throws {SipParseError} when a header it needs does not parse (requests built in code).
 */
export function requestIdentity(request: SipRequest): RequestIdentity {
  const via = request.via[0];
  const method = request.method;
  const txMethod = method === 'ACK' ? 'INVITE' : method;
  const cseq = request.cseq;
  const callId = request.callId;
  const fromTag = request.from.tag ?? '';
  const toTag = request.to.tag;
  // the keys a transaction keeps outlive the request: joined (one flat string of their own)
  // rather than concatenated (a tree of views of the request's header strings, see strings.ts)
  const mergeKey =
    toTag === undefined && method !== 'ACK' && method !== 'CANCEL'
      ? [fromTag, callId, cseq.seq, cseq.method].join(SEP)
      : undefined;
  const branch = via?.branch;
  if (via !== undefined && isRfc3261Branch(branch)) {
    const sentBy = via.sentBy.toLowerCase();
    return {
      key: [branch, sentBy, txMethod].join(SEP),
      ackKey: undefined,
      cancelTargetKey: method === 'CANCEL' ? [branch, sentBy, 'INVITE'].join(SEP) : undefined,
      branchKey: [branch, sentBy].join(SEP),
      mergeKey,
      rfc3261: true,
      toTag,
    };
  }
  // RFC 2543 fallback: the whole identity of the request
  const base = ['2543', request.uri.toString(), fromTag, callId, cseq.seq, via?.toString() ?? ''].join(SEP);
  const tag = toTag ?? '';
  return {
    key: method === 'ACK' ? base : [base, txMethod, tag].join(SEP),
    ackKey: method === 'ACK' || method === 'INVITE' ? base : undefined,
    cancelTargetKey: method === 'CANCEL' ? `${base}${SEP}INVITE${SEP}${tag}` : undefined,
    branchKey: undefined,
    mergeKey,
    rfc3261: false,
    toTag,
  };
}

/** Key correlating an ACK for a 2xx with the INVITE server transaction that sent the 2xx. */
export function dialogAckKey(
  callId: string,
  fromTag: string | undefined,
  toTag: string,
  seq: number,
): string {
  return [callId, fromTag ?? '', toTag, seq].join(SEP);
}
