/** Shared helpers for the sip/ua tests: requests as a UAC would send them, and a wire round trip. */
import { setImmediate as tick } from 'node:timers/promises';
import { createRequest, parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/index.js';

export interface RequestInit {
  method?: string;
  uri?: string;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: number;
  contact?: string | string[];
  headers?: Array<[string, string]>;
  body?: string;
}

/** A request with a Via, as it would arrive at a UAS. */
export function request(init: RequestInit = {}): SipRequest {
  const method = init.method ?? 'REGISTER';
  return createRequest({
    method,
    uri: init.uri ?? 'sip:example.com',
    from: init.from ?? '<sip:alice@example.com>;tag=f1',
    to: init.to ?? '<sip:alice@example.com>',
    callId: init.callId ?? 'call-1@client',
    cseq: init.cseq ?? 1,
    via: ['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1'],
    // Contact values are written as given (createRequest would wrap "*" in <>)
    headers: [
      ...[init.contact ?? []].flat().map((c): [string, string] => ['Contact', c]),
      ...(init.headers ?? []),
    ],
    ...(init.body !== undefined ? { body: init.body, contentType: 'text/plain' } : {}),
  });
}

/** Serializes and parses a message, as the wire would. */
export function wire<T extends SipRequest | SipResponse>(m: T): T {
  return parseMessage(m.toString()) as T;
}

/** Lets every pending promise reaction run (async stores, chained sends). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await tick();
}

export const SECRET = 'a server secret of enough bytes!';
