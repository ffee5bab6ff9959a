/**
 * The RFC 4475 torture messages sent over UDP to a running switch (createSwitch from a
 * YAML configuration), with the handling of ../shared/conformance/README.md. The switch
 * authenticates before it acts: a REGISTER is challenged with 401 and an INVITE with 407
 * (no one is anonymous here). Where the README's answer is the one that comes after
 * authentication (a registrar's 200 or 400, an INVITE's 415 or 406), the test answers
 * the challenge as a user of the switch — the request otherwise unchanged, as a new
 * transaction — and checks the answer to that.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerChallenge,
  createDigestClientState,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type SipUri,
  serializeMessage,
} from '../../src/sip/index.js';
import { type RealSwitch, realSwitch } from './real.js';

const DIR = join(__dirname, '../fixtures/sip/rfc4475');
const load = (name: string) => readFileSync(join(DIR, `${name}.dat`));

/** The answer, or [challenge, answer after authenticating as `user`]. */
type Expect =
  | number
  | readonly number[]
  | 'silence'
  | { challenge: 401 | 407; as: string; after: number | readonly number[] };

const EXPECTED: Record<string, Expect> = {
  wsinv: 481, // a To tag matching no dialog: before authentication
  intmeth: 501,
  esc01: { challenge: 407, as: 'user', after: 404 }, // parsed; the escaped user routes nowhere
  escnull: 401, // REGISTER for a user the switch does not have: challenged
  esc02: 501,
  lwsdisp: 200,
  longreq: { challenge: 407, as: 'user', after: 480 }, // to user, who exists and is not registered
  dblreq: 401, // j.user must authenticate; the trailing octets are ignored on UDP
  semiuri: 200,
  transports: 200,
  mpart01: 405, // no MESSAGE service
  unreason: 'silence',
  noreason: 'silence',
  badinv01: 'silence', // its Via cannot be answered
  clerr: 400,
  ncl: 400,
  scalar02: 400,
  scalarlg: 'silence',
  quotbal: 400,
  ltgtruri: 400,
  lwsruri: 400,
  lwsstart: { challenge: 407, as: 'user', after: 480 }, // liberal: accepted
  trws: [400, 200],
  escruri: { challenge: 407, as: 'user', after: 480 }, // liberal: the escaped headers ignored
  baddate: { challenge: 407, as: 'user', after: 480 }, // liberal: the Date ignored
  regbadct: { challenge: 401, as: 'user', after: 400 },
  badaspec: 400,
  baddn: 400,
  badvers: 505,
  mismatch01: 400,
  mismatch02: [501, 400],
  bigcode: 'silence',
  badbranch: [400, 200],
  insuf: 400,
  unkscm: 416,
  novelsc: [416, 404],
  unksm2: { challenge: 401, as: 'user', after: 400 }, // the AOR must be SIP/SIPS
  bext01: 420,
  invut: { challenge: 407, as: 'user', after: 415 },
  regaut01: 401,
  multi01: 400,
  mcl01: 400,
  bcast: 'silence',
  zeromf: 200,
  cparam01: { challenge: 401, as: 'watson', after: 200 },
  cparam02: { challenge: 401, as: 'watson', after: 200 },
  regescrt: { challenge: 401, as: 'user', after: 200 },
  sdp01: { challenge: 407, as: 'user', after: 406 },
  inv2543: { challenge: 407, as: 'user', after: [400, 404] },
};

const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => f.slice(0, -4))
  .sort();

/** Points the top Via at `sentBy`, keeping every other byte; handles wsinv's folded Via. */
function rewriteTopVia(bytes: Buffer, sentBy: string): Buffer {
  const s = bytes.toString('latin1');
  const line = /^(?:Via|v)[ \t]*:[^\r\n]*/im.exec(s);
  if (!line) return bytes;
  const single = /(SIP[ \t]*\/[ \t]*[\d.]+[ \t]*\/[ \t]*)([A-Za-z]+)([ \t]+)(\[[^\]]*\]|[^\s;,:]+)(:\d+)?/;
  if (single.test(line[0])) {
    const rewritten = line[0].replace(single, (_m, a, p, b) => `${a}${p}${b}${sentBy}`);
    return Buffer.from(s.slice(0, line.index) + rewritten + s.slice(line.index + line[0].length), 'latin1');
  }
  const host = parseMessage(bytes).topVia?.host ?? '';
  const at = s.indexOf(host, line.index);
  return Buffer.from(s.slice(0, at) + sentBy + s.slice(at + host.length), 'latin1');
}

const callIdOf = (b: Buffer | string) =>
  /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)/im.exec(b.toString('latin1'))?.[1]?.trim();
const statusOf = (b: Buffer | string) => Number(/^SIP\/2\.0 (\d{3}) /.exec(b.toString('latin1'))?.[1]);
const cseqOf = (b: Buffer | string) =>
  Number(/^(?:CSeq)[ \t]*:[ \t]*(\d+)/im.exec(b.toString('latin1'))?.[1]);

let s: RealSwitch;

beforeAll(async () => {
  s = await realSwitch();
  // users named as the corpus names them (the configuration file only takes digits; the
  // library takes any name)
  const cfg = s.sw.settings;
  await s.sw.configure({
    ...cfg,
    users: [
      ...cfg.users,
      ...['user', 'watson'].map((extension) => ({
        extension,
        password: `pw-${extension}`,
        maxDevices: 10,
        ringTimeoutMs: 1000,
        enabled: true,
      })),
    ],
  });
});

afterAll(() => s?.close());

function probe(sentBy: string, callId: string): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:probe@127.0.0.1:${s.port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${sentBy};branch=z9hG4bK${callId}`,
      'Max-Forwards: 70',
      'From: <sip:t@127.0.0.1>;tag=p',
      'To: <sip:probe@127.0.0.1>',
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** Sends `bytes`, then a probe; resolves with the final answers to `bytes` (one per CSeq, first copy). */
async function exchange(
  peer: Socket,
  inbox: Buffer[],
  self: string,
  bytes: Buffer,
  tag: string,
): Promise<Buffer[]> {
  const id = callIdOf(bytes) ?? 'invalid@anonymous.invalid';
  const from = inbox.length;
  peer.send(bytes, s.port, '127.0.0.1');
  // let the asynchronous handlers (registrar, authenticator) answer before the probe goes
  await new Promise((r) => setTimeout(r, 30));
  peer.send(probe(self, `probe-${tag}`), s.port, '127.0.0.1');
  const end = Date.now() + 5000;
  while (!inbox.some((m) => callIdOf(m) === `probe-${tag}`)) {
    if (Date.now() > end) throw new Error(`no answer to the probe after ${tag}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const seen = new Set<string>();
  return inbox.slice(from).filter((m) => {
    if (callIdOf(m) !== id || !(statusOf(m) >= 200)) return false;
    const key = `${statusOf(m)} ${cseqOf(m)}`;
    if (seen.has(key)) return false; // a retransmission (nobody ACKs the 4xx here)
    seen.add(key);
    return true;
  });
}

function check(name: string, e: number | readonly number[], got: number[]): void {
  if (typeof e === 'number') expect(got, name).toEqual([e]);
  else {
    expect(got, name).toHaveLength(1);
    expect(e, name).toContain(got[0]);
  }
}

describe('RFC 4475 torture messages against the running switch', () => {
  it('the table covers the whole corpus', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(NAMES);
  });

  it('over UDP each message gets the README handling (after authenticating where that is the handling)', async () => {
    const answers: Record<string, SipResponse[]> = {};
    const digest = createDigestClientState();
    for (const name of NAMES) {
      const peer: Socket = createSocket('udp4');
      await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
      const self = `127.0.0.1:${peer.address().port}`;
      const inbox: Buffer[] = [];
      peer.on('message', (m) => inbox.push(m));
      try {
        const bytes = rewriteTopVia(load(name), self);
        const first = await exchange(peer, inbox, self, bytes, name);
        const e = EXPECTED[name] as Expect;
        if (e === 'silence') {
          expect(first, name).toEqual([]);
          continue;
        }
        if (typeof e === 'number' || Array.isArray(e)) {
          check(name, e as number | readonly number[], first.map(statusOf));
          answers[name] = first.map((a) => parseMessage(a) as SipResponse);
          continue;
        }
        const rule = e as Exclude<Expect, number | readonly number[] | 'silence'>;
        check(name, rule.challenge, first.map(statusOf));
        const challenge = parseMessage(first[0] as Buffer) as SipResponse;
        answers[`${name}-challenge`] = [challenge];
        // the same request with credentials, as a new transaction (new branch, CSeq + 1)
        const request = parseMessage(bytes) as SipRequest;
        const authed = answerChallenge(
          request,
          challenge,
          { username: rule.as, password: `pw-${rule.as}`, realm: '127.0.0.1' },
          digest,
        );
        let text = Buffer.from(serializeMessage(authed)).toString('latin1');
        text = /branch=[^;,\s]+/i.test(text)
          ? text.replace(/branch=[^;,\s]+/i, `branch=z9hG4bK-again-${name}`)
          : text.replace(/^(Via[ \t]*:[^\r\n]*)/im, `$1;branch=z9hG4bK-again-${name}`);
        const second = await exchange(peer, inbox, self, Buffer.from(text, 'latin1'), `${name}-again`);
        const after = second.filter((m) => cseqOf(m) !== request.cseq.seq);
        check(`${name} after authentication`, rule.after, after.map(statusOf));
        answers[name] = after.map((a) => parseMessage(a) as SipResponse);
      } finally {
        peer.close();
      }
    }
    // the details the README asks for
    expect(answers['longreq-challenge']?.[0]?.via).toHaveLength(34);
    expect(answers.longreq?.[0]?.via).toHaveLength(34);
    expect(answers.bext01?.[0]?.unsupported).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(answers.invut?.[0]?.getHeader('Accept')).toBe('application/sdp');
    expect(answers.sdp01?.[0]?.getHeader('Accept')).toBe('application/sdp');
    expect(answers.regaut01?.[0]?.wwwAuthenticate[0]?.scheme).toBe('Digest');
    expect(answers['esc01-challenge']?.[0]?.proxyAuthenticate[0]?.scheme).toBe('Digest');
    expect(answers.mpart01?.[0]?.allow).toContain('INVITE');
    expect(answers.intmeth?.[0]?.allow.length).toBeGreaterThan(0);
    expect(answers.regescrt?.[0]?.contacts.map((c) => c.uri.toString())).toContain(
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    );
    expect(answers.cparam02?.[0]?.contacts.some((c) => c.uri.toString().includes(';unknownparam'))).toBe(
      true,
    );
    expect((answers.cparam01?.[0]?.contacts[0]?.uri as SipUri | undefined)?.params.has('expires')).toBe(
      false,
    );
    // nothing was left behind: no call, no dialog, no media
    expect(s.sw.calls.size).toBe(0);
    expect(s.sw.ua.dialogCount).toBe(0);
    expect(s.sw.engine?.endpointCount).toBe(0);
    // and it still works: the CDRs of the routed INVITEs were written
    const cdrs = (await s.sw.storage.cdrs.query()).items;
    expect(cdrs.every((c) => c.disposition === 'failed')).toBe(true);
  }, 60_000);
});
