/** Building requests and responses programmatically (RFC 3261 §8.1.1, §8.2.6). */
import { StrowgerError } from '../../core/index.js';
import { headerKey } from './header-names.js';
import { type Field, type HeaderInput, SipRequest, SipResponse } from './message.js';
import { NameAddr } from './name-addr.js';
import { reasonPhrase } from './status.js';
import { parseUri, type Uri } from './uri.js';
import type { Via } from './via.js';

export interface CreateRequestOptions {
  method: string;
  /** Request-URI. */
  uri: Uri | string;
  from: NameAddr | Uri | string;
  to: NameAddr | Uri | string;
  callId: string;
  cseq: number;
  /** Via values, top first. The transport layer usually adds the top Via. */
  via?: ReadonlyArray<Via | string>;
  maxForwards?: number;
  contact?: NameAddr | Uri | string | ReadonlyArray<NameAddr | Uri | string>;
  /** Extra headers in order. */
  headers?:
    | ReadonlyArray<readonly [string, HeaderInput]>
    | Record<string, HeaderInput | readonly HeaderInput[]>;
  body?: Uint8Array | string;
  contentType?: string;
}

function toUri(u: Uri | string): Uri {
  return typeof u === 'string' ? parseUri(u) : u;
}

function toAddr(a: NameAddr | Uri | string): string {
  if (typeof a === 'string') return a.includes('<') ? a : `<${a}>`;
  if (a instanceof NameAddr) return a.toString();
  return `<${a.toString()}>`;
}

function field(name: string, value: HeaderInput): Field {
  return { name, key: headerKey(name), value: String(value) };
}

function pushExtra(fields: Field[], headers: CreateRequestOptions['headers']): void {
  if (!headers) return;
  const entries: ReadonlyArray<readonly [string, unknown]> = Array.isArray(headers)
    ? (headers as ReadonlyArray<readonly [string, HeaderInput]>)
    : Object.entries(headers as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (Array.isArray(value)) for (const v of value) fields.push(field(name, v as HeaderInput));
    else fields.push(field(name, value as HeaderInput));
  }
}

/** Builds a request with the mandatory headers in the conventional order. */
export function createRequest(options: CreateRequestOptions): SipRequest {
  const method = options.method;
  if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(method)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `method must be a token, got ${JSON.stringify(method)}`);
  }
  if (!Number.isInteger(options.cseq) || options.cseq < 0 || options.cseq >= 2 ** 31) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'cseq must be an integer 0 to 2^31-1');
  }
  const fields: Field[] = [];
  for (const v of options.via ?? []) fields.push(field('Via', v));
  fields.push(field('Max-Forwards', options.maxForwards ?? 70));
  fields.push(field('From', toAddr(options.from)));
  fields.push(field('To', toAddr(options.to)));
  fields.push(field('Call-ID', options.callId));
  fields.push(field('CSeq', `${options.cseq} ${method}`));
  if (options.contact !== undefined) {
    const contacts = Array.isArray(options.contact) ? options.contact : [options.contact];
    for (const c of contacts) fields.push(field('Contact', toAddr(c as NameAddr | Uri | string)));
  }
  pushExtra(fields, options.headers);
  const req = new SipRequest(method, toUri(options.uri), fields);
  if (options.body !== undefined) req.setBody(options.body, options.contentType);
  return req;
}

export interface CreateResponseOptions {
  reason?: string;
  /** To-tag to add when the request's To has none (required by RFC 3261 §8.2.6.2 for responses other than 100). */
  toTag?: string;
  headers?: CreateRequestOptions['headers'];
  body?: Uint8Array | string;
  contentType?: string;
}

/**
 * Builds a response to `request` per RFC 3261 §8.2.6: the Via values (all,
 * in order), From, Call-ID and CSeq are copied as received, To is copied and
 * gets `toTag` when it has none; a 100 Trying copies Timestamp.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  options: CreateResponseOptions = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `status must be an integer 100-699, got ${status}`);
  }
  const fields: Field[] = [];
  for (const f of request._fields) {
    if (f.key === 'via' || f.key === 'from' || f.key === 'call-id' || f.key === 'cseq') {
      fields.push({ name: f.name.length === 1 ? expand(f.key) : f.name, key: f.key, value: f.value });
    } else if (f.key === 'to') {
      let value = f.value;
      if (options.toTag !== undefined && status !== 100 && request.to.tag === undefined) {
        const to = request.to.clone();
        to.tag = options.toTag;
        value = to.toString();
      }
      fields.push({ name: 'To', key: 'to', value });
    } else if (f.key === 'timestamp' && status === 100) {
      fields.push({ name: 'Timestamp', key: 'timestamp', value: f.value });
    }
  }
  pushExtra(fields, options.headers);
  const res = new SipResponse(status, options.reason ?? reasonPhrase(status), fields);
  if (options.body !== undefined) res.setBody(options.body, options.contentType);
  return res;
}

function expand(key: string): string {
  switch (key) {
    case 'via':
      return 'Via';
    case 'from':
      return 'From';
    case 'call-id':
      return 'Call-ID';
    default:
      return 'CSeq';
  }
}
