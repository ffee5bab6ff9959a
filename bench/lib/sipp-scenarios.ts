/**
 * SIPp scenarios of the call-rate benchmark. They are SIPp's built-in uac and uas with
 * what a proxy or a B2BUA in the middle needs:
 * - the uas copies Record-Route into its responses and the uac keeps the route set
 *   (rrs) and sends ACK and BYE to the remote target with Route headers, as RFC 3261
 *   §12.2 asks;
 * - the uas answers with a 200 straight away, without a 180: a server with several
 *   worker processes (Kamailio's UDP children) may relay a 180 after the 200 that
 *   followed it, which SIPp's uac counts as a failed call, and SIPp re-sends only the
 *   last message it sent when a request is retransmitted to it (see uasScenario);
 * - the uac takes only the responses of its own transactions (start_txn / response_txn /
 *   ack_txn): SIPp otherwise matches `<recv response="200">` by status code, and a 200 to
 *   the INVITE that the server retransmits (its ACK late under load) would be taken for the
 *   answer to the BYE — the BYE is no longer retransmitted, SIPp counts the call a success,
 *   and when that BYE was lost the server never learns the call ended (the call stays up
 *   on both sides; test/switch/sipp-races.test.ts). With transactions a 2xx to the INVITE
 *   after the ACK is ACKed again, and a late provisional is ignored instead of aborting;
 * - the SDP is G.711 µ-law on SIPp's media port; with `rtpFile` the uac also streams that
 *   G.711 file (looped, 20 ms packets) for the media-anchored run. SIPp 3.6 sends every
 *   call's stream from its one media socket, so all calls name that port in their SDP.
 * SIPp sends five messages per call (uac INVITE ACK BYE; uas 200 200): the retransmission
 * share is counted against those.
 */

/** Messages SIPp sends per call in these scenarios, both sides together (uac 3, uas 2). */
export const SENT_PER_CALL = 5;

export interface UacScenarioOptions {
  /** Play this G.711 µ-law WAV file as RTP from a per-call port, looped. */
  rtpFile?: string;
}

export function uacScenario(o: UacScenarioOptions = {}): string {
  const play = o.rtpFile
    ? `
  <nop>
    <action>
      <exec rtp_stream="${o.rtpFile},-1,0"/>
    </action>
  </nop>`
    : '';
  const stop = o.rtpFile
    ? `
  <nop>
    <action>
      <exec rtp_stream="pause"/>
    </action>
  </nop>`
    : '';
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="strowger cps uac">
  <send retrans="500" start_txn="invite">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20

    ]]>
  </send>

  <recv response="100" optional="true" response_txn="invite"></recv>
  <recv response="180" optional="true" response_txn="invite"></recv>
  <recv response="183" optional="true" response_txn="invite"></recv>
  <recv response="200" rtd="true" rrs="true" response_txn="invite"></recv>

  <send ack_txn="invite">
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
${play}
  <pause/>
${stop}
  <send retrans="500" start_txn="bye">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" crlf="true" response_txn="bye"></recv>

  <ResponseTimeRepartition value="10, 20, 50, 100, 200, 500, 1000"/>
  <CallLengthRepartition value="100, 500, 1000, 5000, 10000, 60000"/>
</scenario>
`;
}

/**
 * The uas answers at once with a 200 (no 180): SIPp 3.6 re-sends, on a retransmitted
 * request, only the one message it sent right after it; with 180 + 200 a server's INVITE
 * retransmission (no response within T1) arrives while the uas waits for the ACK and SIPp
 * aborts the call. INVITE, 100 (from the server), 200, ACK, BYE, 200 is also the classic
 * call-rate flow.
 */
export function uasScenario(): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="strowger cps uas">
  <recv request="INVITE" crlf="true"></recv>

  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20

    ]]>
  </send>

  <recv request="ACK" optional="true" rtd="true" crlf="true"></recv>

  <recv request="BYE"></recv>

  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>

  <timewait milliseconds="4000"/>
</scenario>
`;
}
