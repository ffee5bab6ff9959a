/**
 * SIPp (installed by ensureTool when missing) against a switch started from a YAML
 * configuration on loopback: digest registration (401), calls with proxy digest (407),
 * the echo test 9196 with RTP from SIPp's pcap player sent back to SIPp, 404 for a
 * missing extension, 480 for an offline one, and CANCEL while the callee rings leaving no
 * call behind. Every call leaves a CDR row in the SQLite database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTcpTransport,
  createUserAgent,
  type InviteSession,
  type UserAgent,
} from '../../src/sip/index.js';
import { runSipp } from '../helpers/sipp.js';
import { type RealSwitch, realSwitch, until } from './real.js';

let s: RealSwitch;
let nextPort = 21000 + Math.floor(Math.random() * 8000);
const sippPort = () => nextPort++;

beforeAll(async () => {
  s = await realSwitch();
});
afterAll(async () => {
  await s?.close();
});

const REGISTER_XML = (user: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register ${user}">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${user}@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${user}@127.0.0.1>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:${user}@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${user}@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${user}@127.0.0.1>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:${user}@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>`;

const SDP = `v=0
o=sipp 53655765 2353687637 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
`;

/**
 * SIPp's [authentication] puts `sip:<remote ip>:<remote port>` in the digest uri, and the
 * switch checks that uri against the Request-URI (RFC 7616 §3.4.6): the Request-URI names
 * the switch and the number dialed is in To (the switch routes the To user when the
 * Request-URI has none).
 */
function invite(cseq: number, target: string, auth: boolean): string {
  return `INVITE sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${target}@127.0.0.1>
Call-ID: [call_id]
CSeq: ${cseq} INVITE
Contact: <sip:1003@[local_ip]:[local_port]>
${auth ? '[authentication]\n' : ''}Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${SDP}`;
}

/** INVITE, 407, ACK, INVITE with credentials — then `rest`. */
function authenticatedCall(target: string, rest: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call ${target}">
  <send retrans="500" start_txn="first"><![CDATA[
${invite(1, target, false)}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true" response_txn="first"/>
  <send ack_txn="first"><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${target}@127.0.0.1>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <send retrans="500" start_txn="second"><![CDATA[
${invite(2, target, true)}
]]></send>
${rest}
</scenario>`;
}

// SIPp's [peer_tag_param] keeps the To tag of the first response (the 407's): the 200's is read with ereg
const ECHO_REST = `  <recv response="100" optional="true" response_txn="second"/>
  <recv response="180" optional="true" response_txn="second"/>
  <recv response="200" rrs="true" response_txn="second">
    <action><ereg regexp=";tag=([^;>]*)" search_in="hdr" header="To:" assign_to="junk,totag"/></action>
  </recv>
  <send ack_txn="second"><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:9196@127.0.0.1>;tag=[$totag]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
  <pause milliseconds="2500"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:9196@127.0.0.1>;tag=[$totag]
Call-ID: [call_id]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <Reference variables="junk"/>`;

const REJECTED_REST = (status: number) => `  <recv response="100" optional="true" response_txn="second"/>
  <recv response="${status}" response_txn="second"/>
  <send ack_txn="second"><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${status}@127.0.0.1>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`;

const CANCEL_REST = (target: string) => `  <recv response="100" optional="true" response_txn="second"/>
  <recv response="180" response_txn="second"/>
  <pause milliseconds="500"/>
  <send><![CDATA[
CANCEL sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${target}@127.0.0.1>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487" response_txn="second"/>
  <send ack_txn="second"><![CDATA[
ACK sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:1003@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:${target}@127.0.0.1>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`;

describe('SIPp against the running switch', () => {
  it('registers 1003 with digest; a wrong password never gets 200', async () => {
    const good = await runSipp({
      scenario: { xml: REGISTER_XML('1003') },
      remote: `127.0.0.1:${s.port}`,
      localPort: sippPort(),
      calls: 1,
      timeoutSec: 15,
      extraArgs: ['-au', '1003', '-ap', 'demo1003'],
    });
    expect(good.successful, good.stderr).toBe(1);
    expect((await s.sw.contacts('1003')).map((b) => b.uri)).toHaveLength(1);
    const bad = await runSipp({
      scenario: { xml: REGISTER_XML('1004') },
      remote: `127.0.0.1:${s.port}`,
      localPort: sippPort(),
      calls: 1,
      timeoutSec: 10,
      extraArgs: ['-au', '1004', '-ap', 'nope'],
    });
    expect(bad.successful).toBe(0);
    expect(await s.sw.contacts('1004')).toEqual([]);
  });

  it('calls 9196 with proxy digest and gets back the RTP it sends', async () => {
    const answered = new Promise<import('../../src/switch/index.js').Call>((resolve) =>
      s.sw.once('answered', resolve),
    );
    const mediaPort = sippPort() + 1000;
    const run = runSipp({
      scenario: { xml: authenticatedCall('9196', ECHO_REST) },
      remote: `127.0.0.1:${s.port}`,
      localPort: sippPort(),
      calls: 1,
      timeoutSec: 20,
      extraArgs: ['-au', '1003', '-ap', 'demo1003', '-mi', '127.0.0.1', '-mp', String(mediaPort)],
    });
    const call = await Promise.race([
      answered,
      run.then((r) => {
        throw new Error(`SIPp ended first: ${r.stderr}\n${r.stdout.slice(0, 3000)}`);
      }),
    ]);
    const ended = call.ended;
    const ep = call.callerLeg.endpoint;
    expect(call.media?.kind).toBe('echo');
    // while the call is up: what SIPp sent came back to where it came from
    await until(async () => ((await ep?.getStats())?.packetsReceived ?? 0) >= 50, 10_000, 'RTP from SIPp');
    const stats = await ep?.getStats();
    const result = await run;
    expect(result.successful, result.stderr).toBe(1);
    expect(stats?.packetsSent).toBeGreaterThanOrEqual((stats?.packetsReceived ?? 0) - 1);
    expect(stats?.source?.address).toBe('127.0.0.1');
    const info = await ended;
    expect(info.cdr).toMatchObject({
      caller: { number: '1003' },
      callee: { number: '9196' },
      disposition: 'answered',
    });
  });

  it('a missing extension gets 404 and an offline one 480; both leave a CDR', async () => {
    for (const [target, status] of [
      ['5555', 404],
      ['1006', 480],
    ] as const) {
      const r = await runSipp({
        scenario: { xml: authenticatedCall(target, REJECTED_REST(status)) },
        remote: `127.0.0.1:${s.port}`,
        localPort: sippPort(),
        calls: 1,
        timeoutSec: 15,
        extraArgs: ['-au', '1003', '-ap', 'demo1003'],
      });
      expect(r.successful, `${target}: ${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(1);
    }
    const rows = (await s.sw.storage.cdrs.query({ extension: '1003', order: 'asc' })).items;
    expect(rows.slice(-2).map((c) => [c.callee.number, c.disposition, c.hangup.status])).toEqual([
      ['5555', 'failed', 404],
      ['1006', 'failed', 480],
    ]);
  });

  it('CANCEL while the callee (on TCP) rings leaves no call behind', async () => {
    // the callee: a UserAgent registered as 1007 over TCP that rings and never answers; it
    // does not listen, so the switch reaches it only over the connection it registered on
    const tcp = await createTcpTransport({ address: '127.0.0.1', port: 0, listen: false });
    const callee: UserAgent = createUserAgent({
      transports: [tcp],
      user: '1007',
      credentials: { username: '1007', password: 'demo1007' },
    });
    const rung: InviteSession[] = [];
    callee.on('INVITE', (x) => {
      rung.push(x);
      x.ring();
    });
    try {
      const reg = callee.register({
        aor: 'sip:1007@127.0.0.1',
        registrar: `sip:127.0.0.1:${s.port}`,
        expires: 300,
      });
      await until(() => reg.state === 'registered', 5000, '1007 registered');
      const ended = new Promise<import('../../src/switch/index.js').CallEndInfo>((resolve) =>
        s.sw.once('ended', (_c, info) => resolve(info)),
      );
      const r = await runSipp({
        scenario: { xml: authenticatedCall('1007', CANCEL_REST('1007')) },
        remote: `127.0.0.1:${s.port}`,
        localPort: sippPort(),
        calls: 1,
        timeoutSec: 15,
        extraArgs: ['-au', '1003', '-ap', 'demo1003'],
      });
      expect(r.successful, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(1);
      const info = await ended;
      expect(info.cdr).toMatchObject({ callee: { number: '1007' }, disposition: 'cancelled' });
      await until(() => rung[0]?.state === 'terminated', 5000, 'the callee cancelled');
      expect(rung[0]?.endedInfo?.reason).toBe('cancelled');
      expect(rung[0]?.request.getHeader('Via')).toContain('SIP/2.0/TCP');
      expect(s.sw.calls.size).toBe(0);
      expect(s.sw.engine?.endpointCount).toBe(0);
    } finally {
      await callee.close();
    }
    // every call above left its row
    const all = (await s.sw.storage.cdrs.query()).items;
    expect(all.length).toBe(4);
  });
});
