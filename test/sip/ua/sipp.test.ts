/**
 * Real peers on loopback: SIPp (installed with ensureTool) against a
 * UserAgent on real UDP/TCP sockets — digest registration, calls in both
 * directions over UDP and TCP, a caller that never ACKs, and 10 % loss.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../src/core/index.js';
import type { LocalDescription } from '../../../src/sdp/index.js';
import {
  createDigestAuthenticator,
  createTcpTransport,
  createUdpTransport,
  createUserAgent,
  type InviteSession,
  MemoryLocationStore,
  Registrar,
  type UserAgent,
  type UserAgentOptions,
} from '../../../src/sip/index.js';
import { runSipp } from '../../helpers/sipp.js';

const MEDIA: LocalDescription = {
  address: '127.0.0.1',
  media: [{ port: 30000, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }], telephoneEvent: true }],
};

const opened: UserAgent[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((u) => u.close({ timeoutMs: 500 })));
});

async function realUa(options: Partial<UserAgentOptions> = {}): Promise<{ ua: UserAgent; port: number }> {
  const udp = await createUdpTransport({ address: '127.0.0.1', port: 0 });
  const tcp = await createTcpTransport({ address: '127.0.0.1', port: udp.local.port });
  const ua = createUserAgent({ transports: [udp, tcp], media: MEDIA, ...options });
  opened.push(ua);
  return { ua, port: udp.local.port };
}

let nextPort = 16000 + Math.floor(Math.random() * 20000);
const sippPort = () => nextPort++;

const REGISTER_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:alice@127.0.0.1>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@127.0.0.1>;tag=[pid]SIPpTag00[call_number]
To: <sip:alice@127.0.0.1>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 300
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>`;

/** A caller that sends INVITE and never ACKs the 200; it answers the BYE. */
const NO_ACK_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="never ack">
  <send retrans="500"><![CDATA[
INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>`;

/** SIPp's uac with 10 % loss on every message, both directions. */
const LOSSY_UAC_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="lossy uac">
  <send retrans="200" lost="10"><![CDATA[
INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv response="100" optional="true" lost="10"/>
  <recv response="180" optional="true" lost="10"/>
  <recv response="200" rrs="true" lost="10"/>
  <send lost="10"><![CDATA[
ACK sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="100"/>
  <send retrans="200" lost="10"><![CDATA[
BYE sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" lost="10"/>
</scenario>`;

function answerEverything(ua: UserAgent, sessions: InviteSession[] = []): InviteSession[] {
  ua.on('INVITE', (s) => {
    sessions.push(s);
    s.ring();
    s.answer();
  });
  return sessions;
}

describe('SIPp against the UserAgent', () => {
  it('registers with digest and gets 200; with a wrong password never 200', async () => {
    const auth = createDigestAuthenticator({
      realm: '127.0.0.1',
      secret: 'a secret of at least sixteen bytes',
      algorithms: ['MD5'],
      lookup: (user) => (user === 'alice' ? { password: 's3cret' } : undefined),
    });
    const registrar = new Registrar({ store: new MemoryLocationStore(), authenticator: auth });
    const { port } = await realUa({ registrar });
    const good = await runSipp({
      scenario: { xml: REGISTER_XML },
      remote: `127.0.0.1:${port}`,
      localPort: sippPort(),
      calls: 3,
      timeoutSec: 15,
      extraArgs: ['-au', 'alice', '-ap', 's3cret'],
    });
    expect(good.successful).toBe(3);
    expect(good.failed).toBe(0);
    expect(await registrar.lookup('sip:alice@127.0.0.1')).toHaveLength(1);
    const bad = await runSipp({
      scenario: { xml: REGISTER_XML },
      remote: `127.0.0.1:${port}`,
      localPort: sippPort(),
      calls: 2,
      timeoutSec: 10,
      extraArgs: ['-au', 'alice', '-ap', 'wrong', '-recv_timeout', '3000'],
    });
    expect(bad.successful).toBe(0);
    expect(bad.failed).toBe(2);
  }, 60_000);

  for (const transport of ['u1', 't1'] as const) {
    it(`SIPp's uac calls the UserAgent, which answers with SDP (${transport === 'u1' ? 'UDP' : 'TCP'})`, async () => {
      const { ua, port } = await realUa();
      const sessions = answerEverything(ua);
      const ended: string[] = [];
      ua.on('session', (s) => s.on('ended', (e) => ended.push(e.reason)));
      const r = await runSipp({
        scenario: 'uac',
        remote: `127.0.0.1:${port}`,
        localPort: sippPort(),
        transport,
        calls: 5,
        rate: 10,
        timeoutSec: 20,
        extraArgs: ['-d', '100'],
      });
      expect(r.successful).toBe(5);
      expect(r.failed).toBe(0);
      expect(sessions).toHaveLength(5);
      expect(sessions.every((s) => s.negotiated?.streams[0]?.codec?.encodingName === 'PCMU')).toBe(true);
      expect(ended).toEqual(['remote-bye', 'remote-bye', 'remote-bye', 'remote-bye', 'remote-bye']);
      expect(ua.dialogCount).toBe(0);
    }, 60_000);

    it(`SIPp's uas answers calls the UserAgent places (${transport === 'u1' ? 'UDP' : 'TCP'})`, async () => {
      const { ua } = await realUa();
      const port = sippPort();
      const sipp = runSipp({ scenario: 'uas', localPort: port, transport, calls: 3, timeoutSec: 20 });
      await new Promise((r) => setTimeout(r, 500));
      const proto = transport === 'u1' ? '' : ';transport=tcp';
      for (let i = 0; i < 3; i++) {
        const session = await ua.invite(`sip:service@127.0.0.1:${port}${proto}`, { offer: MEDIA });
        expect(session.state).toBe('established');
        expect(session.negotiated?.streams[0]?.accepted).toBe(true);
        await session.bye();
        expect(session.endedInfo?.reason).toBe('local-bye');
      }
      const r = await sipp;
      expect(r.successful).toBe(3);
      expect(r.failed).toBe(0);
    }, 60_000);
  }

  it('a caller that never ACKs gets 2xx retransmissions and then a BYE', async () => {
    const { ua, port } = await realUa({ t1: 50, t2: 400 });
    const sessions = answerEverything(ua);
    let retransmitted = 0;
    const onMessage = (m: unknown) => {
      const { direction, bytes } = m as { direction: string; bytes: Uint8Array };
      const text = Buffer.from(bytes).toString('latin1');
      if (direction === 'out' && text.startsWith('SIP/2.0 200') && /CSeq: *1 INVITE/i.test(text))
        retransmitted++;
    };
    subscribe(CHANNELS.sipMessage, onMessage);
    try {
      const r = await runSipp({
        scenario: { xml: NO_ACK_XML },
        remote: `127.0.0.1:${port}`,
        localPort: sippPort(),
        calls: 1,
        timeoutSec: 15,
      });
      expect(r.successful).toBe(1);
    } finally {
      unsubscribe(CHANNELS.sipMessage, onMessage);
    }
    expect(retransmitted).toBeGreaterThan(3);
    expect(sessions[0]?.endedInfo?.reason).toBe('no-ack');
  }, 60_000);

  it('with 10 % loss on every message, at least 99 % of 200 calls complete', async () => {
    const { ua, port } = await realUa({ t1: 100, t2: 800 });
    answerEverything(ua);
    const r = await runSipp({
      scenario: { xml: LOSSY_UAC_XML },
      remote: `127.0.0.1:${port}`,
      localPort: sippPort(),
      calls: 200,
      rate: 20,
      limit: 50,
      timeoutSec: 60,
      extraArgs: ['-recv_timeout', '20000'],
    });
    console.log(`lossy: ${r.successful}/200 ok, ${r.retransmissions} SIPp retransmissions`);
    if (r.successful < 198) console.log(r.stdout.slice(-1500), r.stderr.slice(-1500));
    expect(r.successful + r.failed).toBe(200);
    expect(r.successful).toBeGreaterThanOrEqual(198);
  }, 120_000);
});
