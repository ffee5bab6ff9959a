/**
 * RTP hot path: parse a 172-byte PCMU packet (12-byte header + 160 bytes of
 * payload) and read every header field plus the payload view; then rewrite
 * SSRC, sequence number and timestamp in place, as the relay does.
 *
 * Peer, measured in the same run: werift-rtp's RtpPacket.deSerialize (and,
 * for the rewrite, deSerialize + set fields + serialize, which is how a relay
 * built on werift-rtp changes a header).
 *
 * Also measures allocation: heap bytes per operation (median of short runs
 * after a forced GC) and scavenges during 1M operations.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { RtpPacket as WeriftRtpPacket } from 'werift-rtp';
import { RtpPacket, RtpReader, RtpReceiverStatistics, rewriteRtpHeader } from '../src/rtp/index.js';
import { compareRates, median, printResult } from './lib/stats.js';

const packet = Buffer.from(
  new RtpPacket({
    payloadType: 0,
    sequenceNumber: 12345,
    timestamp: 987654321,
    ssrc: 0x1234abcd,
    payload: new Uint8Array(160).fill(0xd5),
  }).serialize(),
);
if (packet.length !== 172) throw new Error(`expected 172 bytes, got ${packet.length}`);

/** Keeps results alive; `| 0` keeps it a small integer so the loop itself does not box numbers. */
let sink = 0;
const reader = new RtpReader();

/** Ours: wrap + every header field + the payload as a view. */
function oursParse(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = reader.wrap(packet);
    sink =
      (sink +
        r.version +
        r.csrcCount +
        r.payloadType +
        r.sequenceNumber +
        r.timestamp +
        r.ssrc +
        r.paddingLength +
        (r.marker ? 1 : 0) +
        (r.padding ? 1 : 0) +
        (r.hasExtension ? 1 : 0) +
        r.payload.length) |
      0;
  }
}

/** Ours, without materialising a payload view (offset + length only). */
function oursParseNoView(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = reader.wrap(packet);
    sink =
      (sink +
        r.version +
        r.csrcCount +
        r.payloadType +
        r.sequenceNumber +
        r.timestamp +
        r.ssrc +
        r.paddingLength +
        (r.marker ? 1 : 0) +
        (r.padding ? 1 : 0) +
        (r.hasExtension ? 1 : 0) +
        r.payloadOffset +
        r.payloadLength) |
      0;
  }
}

/** werift-rtp: deSerialize + the same fields + its payload. */
function weriftParse(n: number): void {
  for (let i = 0; i < n; i++) {
    const p = WeriftRtpPacket.deSerialize(packet);
    const h = p.header;
    sink =
      (sink +
        h.version +
        h.csrcLength +
        h.payloadType +
        h.sequenceNumber +
        h.timestamp +
        h.ssrc +
        h.paddingSize +
        (h.marker ? 1 : 0) +
        (h.padding ? 1 : 0) +
        (h.extension ? 1 : 0) +
        p.payload.length) |
      0;
  }
}

const relayBuf = Buffer.from(packet);
let seq = 0;

/** Ours: in-place rewrite of SSRC/seq/ts (after validating the packet, as a relay must). */
function oursRewrite(n: number): void {
  for (let i = 0; i < n; i++) {
    const r = reader.wrap(relayBuf);
    seq = (seq + 1) & 0xffff;
    rewriteRtpHeader(relayBuf, 0xfeedf00d, (r.sequenceNumber + 1) & 0xffff, (r.timestamp + 160) >>> 0);
  }
  sink = (sink + (relayBuf[3] as number)) | 0;
}

/** werift-rtp: parse, change the header fields, serialize a new buffer. */
function weriftRewrite(n: number): void {
  let out: Buffer = relayBuf;
  for (let i = 0; i < n; i++) {
    const p = WeriftRtpPacket.deSerialize(relayBuf);
    p.header.ssrc = 0xfeedf00d;
    p.header.sequenceNumber = (p.header.sequenceNumber + 1) & 0xffff;
    p.header.timestamp = (p.header.timestamp + 160) >>> 0;
    out = p.serialize();
  }
  sink = (sink + (out[3] as number)) | 0;
}

const stats = new RtpReceiverStatistics({ ssrc: 0x1234abcd, clockRate: 8000 });
let rxSeq = 0;

/** Ours: RFC 3550 A.1/A.8 receiver statistics for one packet (runs per packet in the worker). */
function oursStats(n: number): void {
  for (let i = 0; i < n; i++) {
    rxSeq++;
    stats.receive(rxSeq & 0xffff, (rxSeq * 160) >>> 0, rxSeq * 20 + (rxSeq & 3));
  }
  sink = (sink + stats.jitter) | 0;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Median heap bytes per op over short runs (too short for a scavenge to hide anything). */
function bytesPerOp(fn: (n: number) => void): number {
  if (!gc) return Number.NaN;
  const n = 2000;
  const samples: number[] = [];
  fn(n);
  for (let i = 0; i < 9; i++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    fn(n);
    samples.push((process.memoryUsage().heapUsed - before) / n);
  }
  return Math.max(0, median(samples));
}

/** Scavenges (minor GCs) while running 1M ops. */
async function scavengesPerMillion(fn: (n: number) => void): Promise<number> {
  let count = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === 1) count++;
  });
  obs.observe({ entryTypes: ['gc'] });
  gc?.();
  await new Promise((r) => setTimeout(r, 20));
  count = 0;
  fn(1_000_000);
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return count;
}

const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

const parse = compareRates(oursParse, weriftParse, 7, 250);
const noView = compareRates(oursParseNoView, weriftParse, 5, 200);
const rewrite = compareRates(oursRewrite, weriftRewrite, 7, 250);

const alloc = {
  oursParse: bytesPerOp(oursParse),
  oursParseNoView: bytesPerOp(oursParseNoView),
  oursRewrite: bytesPerOp(oursRewrite),
  oursStats: bytesPerOp(oursStats),
  weriftParse: bytesPerOp(weriftParse),
  weriftRewrite: bytesPerOp(weriftRewrite),
};
const scavenges = {
  oursParseNoView: await scavengesPerMillion(oursParseNoView),
  oursRewrite: await scavengesPerMillion(oursRewrite),
  oursParse: await scavengesPerMillion(oursParse),
  oursStats: await scavengesPerMillion(oursStats),
  weriftParse: await scavengesPerMillion(weriftParse),
};

console.log('172-byte PCMU packet, medians of interleaved runs');
console.log(
  `parse + fields + payload view : strowger ${fmt(parse.a)}  werift-rtp ${fmt(parse.b)}  ratio ${parse.ratio.toFixed(2)}x`,
);
console.log(
  `parse + fields (offsets only) : strowger ${fmt(noView.a)}  werift-rtp ${fmt(noView.b)}  ratio ${noView.ratio.toFixed(2)}x`,
);
console.log(
  `rewrite SSRC/seq/ts           : strowger ${fmt(rewrite.a)}  werift-rtp ${fmt(rewrite.b)} (parse+serialize)  ratio ${rewrite.ratio.toFixed(2)}x`,
);
console.log('heap bytes per op (median of 2000-op runs after gc):');
for (const [k, v] of Object.entries(alloc)) console.log(`  ${k.padEnd(16)} ${v.toFixed(1)}`);
console.log('scavenges during 1M ops:');
for (const [k, v] of Object.entries(scavenges)) console.log(`  ${k.padEnd(16)} ${v}`);
if (sink === 42) console.log('');

printResult({
  name: 'rtp-parse',
  value: Math.round(parse.a),
  unit: 'parses/s',
  peer: 'werift-rtp',
  peerValue: Math.round(parse.b),
  ratio: Number(parse.ratio.toFixed(2)),
  parseNoViewPerSec: Math.round(noView.a),
  rewritePerSec: Math.round(rewrite.a),
  weriftRewritePerSec: Math.round(rewrite.b),
  rewriteRatio: Number(rewrite.ratio.toFixed(2)),
  bytesPerOp: Object.fromEntries(Object.entries(alloc).map(([k, v]) => [k, Number(v.toFixed(1))])),
});
