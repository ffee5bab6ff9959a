/**
 * SDP parse and parse+serialize rates for a realistic audio offer (a SIP
 * phone's G.711/G.722/opus + telephone-event offer) and a browser's WebRTC
 * offer (audio + video + data channel with ICE, DTLS, extmap, rtcp-fb, ssrc),
 * beside the npm package sdp-transform measured in the same run.
 *
 * RESULT value: our parses per second of the audio offer; peer: sdp-transform.
 */
import sdpTransform from 'sdp-transform';
import { parseSdp, serializeSdp } from '../src/sdp/index.js';
import { compareRates, printResult } from './lib/stats.js';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

const AUDIO = crlf([
  'v=0',
  'o=- 1726190000 1726190001 IN IP4 203.0.113.50',
  's=-',
  'c=IN IP4 203.0.113.50',
  't=0 0',
  'm=audio 24504 RTP/AVP 96 9 0 8 101 13',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1;minptime=10',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=rtpmap:13 CN/8000',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
]);

const FP =
  'sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08';
const ice = [
  'a=ice-ufrag:4ZcD',
  'a=ice-pwd:2/1muCWoOi3uLifh0NuRHlfM',
  'a=ice-options:trickle',
  `a=fingerprint:${FP}`,
  'a=setup:actpass',
];
const WEBRTC = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1467250027 1 udp 2122260223 192.0.2.20 46243 typ host generation 0 network-id 1',
  'a=candidate:1853887674 1 udp 1518280447 203.0.113.7 46243 typ srflx raddr 192.0.2.20 rport 46243 generation 0 network-id 1',
  'a=candidate:434324811 1 tcp 1518214911 192.0.2.20 9 typ host tcptype active generation 0 network-id 1',
  ...ice,
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:stream1 audiotrack1',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6',
  'a=ssrc:3735928559 msid:stream1 audiotrack1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  ...ice,
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=extmap:13 urn:3gpp:video-orientation',
  'a=sendrecv',
  'a=msid:stream1 videotrack1',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=ssrc-group:FID 1234 5678',
  'a=ssrc:1234 cname:4TOk42mSjXCkVIa6',
  'a=ssrc:5678 cname:4TOk42mSjXCkVIa6',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  ...ice,
  'a=mid:2',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
]);

// Both libraries must read what they write, or the comparison means nothing.
for (const text of [AUDIO, WEBRTC]) {
  if (serializeSdp(parseSdp(text)) !== text) throw new Error('strowger does not reproduce the offer');
  const again = sdpTransform.parse(sdpTransform.write(sdpTransform.parse(text)));
  if (again.media.length !== parseSdp(text).media.length) throw new Error('sdp-transform lost m-lines');
}

let sink = 0;
const ours = (text: string, write: boolean) => (n: number) => {
  for (let i = 0; i < n; i++) {
    const d = parseSdp(text);
    sink += write ? serializeSdp(d).length : d.media.length;
  }
};
const theirs = (text: string, write: boolean) => (n: number) => {
  for (let i = 0; i < n; i++) {
    const d = sdpTransform.parse(text);
    sink += write ? sdpTransform.write(d).length : d.media.length;
  }
};

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);
const rows: [string, { a: number; b: number; ratio: number }][] = [];
for (const [name, text] of [
  ['audio offer', AUDIO],
  ['WebRTC offer', WEBRTC],
] as const) {
  for (const write of [false, true]) {
    rows.push([
      `${name}, ${write ? 'parse+serialize' : 'parse'}`,
      compareRates(ours(text, write), theirs(text, write)),
    ]);
  }
}

process.stdout.write(
  `audio offer ${AUDIO.length} bytes, WebRTC offer ${WEBRTC.length} bytes; medians of 7 interleaved rounds\n`,
);
process.stdout.write(
  `${'case'.padEnd(32)} ${'strowger/s'.padStart(10)} ${'sdp-transform/s'.padStart(16)}  ratio\n`,
);
for (const [name, r] of rows) {
  process.stdout.write(`${name.padEnd(32)} ${fmt(r.a)} ${fmt(r.b).padStart(16)}  ${r.ratio.toFixed(2)}x\n`);
}
if (sink === 0) process.stdout.write('(sink)\n');

const [audioParse, audioBoth, webrtcParse, webrtcBoth] = rows.map(([, r]) => r) as [
  { a: number; b: number; ratio: number },
  { a: number; b: number; ratio: number },
  { a: number; b: number; ratio: number },
  { a: number; b: number; ratio: number },
];
printResult({
  name: 'sdp-parse',
  value: Math.round(audioParse.a),
  unit: 'parses/s (audio offer)',
  peer: 'sdp-transform',
  peerValue: Math.round(audioParse.b),
  ratio: Number(audioParse.ratio.toFixed(2)),
  audioParseSerialize: Math.round(audioBoth.a),
  audioParseSerializePeer: Math.round(audioBoth.b),
  webrtcParse: Math.round(webrtcParse.a),
  webrtcParsePeer: Math.round(webrtcParse.b),
  webrtcParseSerialize: Math.round(webrtcBoth.a),
  webrtcParseSerializePeer: Math.round(webrtcBoth.b),
});
