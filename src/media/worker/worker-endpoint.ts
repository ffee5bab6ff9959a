/**
 * One RTP endpoint inside a media worker: its RTP and RTCP sockets, strict
 * source learning, receive statistics, RTCP, DTMF in both directions, and
 * whatever it is connected to — nothing (idle), a relay peer (packets
 * forwarded with their headers rewritten, no jitter buffer) or a transcoding
 * peer (jitter buffer → decode → resample → encode on the tick). Players
 * (tones, prompts, in-band DTMF) take over its output while they play.
 *
 * The receive path (`#onRtp`) and the relay forwarding allocate nothing:
 * one RtpReader per worker, counters in fields, payload-type tables in typed
 * arrays, no per-packet closures, strings or Dates.
 */
import { type Clock, type Random, StrowgerError } from '../../core/index.js';
import {
  CODEC_IMPAIRMENTS,
  estimateQuality,
  type KnownCodec,
  RtpReader,
  RtpReceiverStatistics,
  RtpSenderStatistics,
  setRtpPayloadType,
  type TelephoneEventInput,
  type TelephoneEventPacket,
  TelephoneEventReceiver,
  TelephoneEventSender,
  telephoneEventCode,
} from '../../rtp/index.js';
import { type AudioCodec, createCodec } from '../codecs/index.js';
import {
  type MediaFormat,
  mediaFormat,
  PT_AUDIO,
  PT_DROP,
  PT_TELEPHONE_EVENT,
  pcmRateFor,
  relayPayloadMap,
} from './media-format.js';
import { PacketDecoder, ReceivePipeline, SendPipeline } from './pipelines.js';
import { createPlayer, type PlayContext, type PlaylistPlayer } from './players.js';
import type { WorkerEvent } from './protocol.js';
import { RtcpReporter } from './rtcp-reporter.js';
import { PacketBuffers, RtpOutput, writeRtpHeader } from './rtp-output.js';
import type { MediaSocket, MediaSocketFactory } from './sockets.js';
import { LATCH_LEARNED, LATCH_REJECT, SourceLatch } from './source-latch.js';
import type { PacketTap } from './taps.js';
import type {
  DtmfSendOptions,
  EndpointConfig,
  EndpointStats,
  PlayEndReason,
  PlayInput,
  PlayOptions,
  PlayResult,
} from './types.js';
import type { WorkerBridge } from './worker-bridge.js';

/** What an endpoint needs from its worker. */
export interface EndpointEnvironment {
  readonly clock: Clock;
  readonly random: Random;
  readonly tickMs: number;
  emit(event: WorkerEvent): void;
  /** The endpoint needs (or no longer needs) per-tick work: players, DTMF sending. */
  setTicking(endpoint: WorkerEndpoint, on: boolean): void;
  /** Counts one relayed packet. */
  countRelayed(): void;
  /** Prompts and their cache. */
  readonly play: PlayContext;
}

export const MODE_IDLE = 0;
export const MODE_RELAY = 1;
export const MODE_TRANSCODE = 2;
/** A member of a conference bridge: decoded on the tick, mixed, encoded. */
export const MODE_BRIDGE = 3;

/** One reader per thread: `wrap` stores offsets only and the receive path is synchronous. */
const reader = new RtpReader();
/** A second one for the packets we send, when a recording taps them. */
const tapReader = new RtpReader();

interface DtmfJob {
  digits: string;
  index: number;
  durationMs: number;
  gapMs: number;
  resolve: (sent: number) => void;
  reject: (err: unknown) => void;
}

const DTMF_IDLE = 0;
const DTMF_SOUNDING = 1;
const DTMF_ENDING = 2;

export class WorkerEndpoint {
  readonly id: number;
  config: EndpointConfig;
  format: MediaFormat;
  readonly #env: EndpointEnvironment;
  #rtp: MediaSocket | undefined;
  #rtcp: MediaSocket | undefined;
  readonly latch: SourceLatch;
  readonly #rtcpLatch: SourceLatch;
  #dstAddress = '';
  #dstPort = -1;
  #rtcpDstAddress = '';
  #rtcpDstPort = -1;
  #closed = false;

  // receive
  #rx: RtpReceiverStatistics | undefined;
  packetsReceived = 0;
  octetsReceived = 0;
  packetsRejected = 0;
  packetsInvalid = 0;
  #lastRxAt: number;
  #timedOut = false;
  readonly #teRx = new TelephoneEventReceiver();
  readonly #teIn: TelephoneEventInput = { timestamp: 0, event: 0, end: false, volume: 0, duration: 0 };
  #prevExpected = 0;
  #prevReceived = 0;
  #nextStatsAt: number;

  // send
  readonly out: RtpOutput;
  #tx: RtpSenderStatistics;
  packetsSent = 0;
  octetsSent = 0;
  readonly #rtcpReporter: RtcpReporter;
  #buffers: PacketBuffers | undefined;

  // connection
  peer: WorkerEndpoint | undefined;
  mode = MODE_IDLE;
  sessionId = -1;
  /** Payload type this endpoint receives → payload type the relay peer sends (PT_DROP: drop). */
  #relayMap: Uint8Array = new Uint8Array(128).fill(PT_DROP);
  /** PCM rate to run at while transcoding (chosen for the pair). */
  transcodeRate = 0;

  // terminated media
  #codec: AudioCodec | undefined;
  #codecKey = '';
  rxPipe: ReceivePipeline | undefined;
  txPipe: SendPipeline | undefined;
  #packetDecoder: PacketDecoder | undefined;
  #player: PlaylistPlayer | undefined;
  #playerDone: ((result: PlayResult) => void) | undefined;
  #playOptions: PlayOptions = {};
  #frame: Int16Array | undefined;

  /** The bridge this endpoint is a member of (MODE_BRIDGE). */
  bridge: WorkerBridge | undefined;
  /** Recording taps of what the peer sends (`in`) and of what we send (`out`). */
  #inTaps: PacketTap[] = [];
  #outTaps: PacketTap[] = [];

  // DTMF out
  readonly #dtmfJobs: DtmfJob[] = [];
  #teSender: TelephoneEventSender | undefined;
  #dtmfState = DTMF_IDLE;
  #dtmfStopAt = 0;
  #dtmfNextAt = 0;
  #ticking = false;

  constructor(id: number, config: EndpointConfig, env: EndpointEnvironment) {
    this.id = id;
    this.config = config;
    this.#env = env;
    this.format = mediaFormat(config.codecs);
    const r = env.random;
    const clockRate = this.format.audio?.clockRate ?? 8000;
    this.out = new RtpOutput({
      ssrc: r.int(0x100000000) >>> 0,
      initialSeq: r.int(0x10000),
      initialTs: r.int(0x100000000) >>> 0,
      clockRate,
    });
    this.#tx = new RtpSenderStatistics({ ssrc: this.out.ssrc, clockRate });
    this.#rtcpReporter = new RtcpReporter(r);
    this.latch = new SourceLatch(config.remote, config.learnPackets);
    this.#rtcpLatch = new SourceLatch(this.#signalledRtcp(), 1);
    const now = env.clock.now();
    this.#lastRxAt = now;
    this.#nextStatsAt = now + (config.statsIntervalMs || 0);
    this.#updateDestinations();
  }

  /** Binds both sockets (RTCP on `rtcpPort`); closes what it opened when one fails. */
  async open(sockets: MediaSocketFactory, address: string, rtpPort: number, rtcpPort: number): Promise<void> {
    const rtp = await sockets.bind(address, rtpPort, this.#onRtpDatagram);
    let rtcp: MediaSocket;
    try {
      rtcp = await sockets.bind(address, rtcpPort, this.#onRtcpDatagram);
    } catch (err) {
      rtp.close();
      throw err;
    }
    if (this.#closed) {
      rtp.close();
      rtcp.close();
      throw new StrowgerError('ERR_CLOSED', 'endpoint closed while binding');
    }
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#rtcpReporter.start(this.#env.clock.now());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while a player owns the output (relayed and transcoded audio to this leg are held back). */
  get generating(): boolean {
    return this.#player !== undefined;
  }

  // ------------------------------------------------------------------ receive

  readonly #onRtpDatagram = (data: Uint8Array, address: string, port: number): void => {
    if (this.#closed) return;
    // rtcp-mux (RFC 5761 §4): second byte 192..223 is RTCP
    const b1 = data.length > 1 ? (data[1] as number) : 0;
    if (b1 >= 192 && b1 <= 223) {
      this.#onRtcp(data, address, port);
      return;
    }
    this.#onRtp(data, address, port);
  };

  readonly #onRtcpDatagram = (data: Uint8Array, address: string, port: number): void => {
    if (this.#closed) return;
    this.#onRtcp(data, address, port);
  };

  #onRtp(data: Uint8Array, address: string, port: number): void {
    const r = reader;
    try {
      r.wrap(data);
    } catch {
      this.packetsInvalid++;
      return;
    }
    const ssrc = r.ssrc;
    const seq = r.sequenceNumber;
    const verdict = this.latch.accept(address, port, ssrc, seq);
    if (verdict === LATCH_REJECT) {
      this.packetsRejected++;
      return;
    }
    const now = this.#env.clock.now();
    if (verdict === LATCH_LEARNED) this.#learned(false);
    const ts = r.timestamp;
    const pt = r.payloadType;
    this.packetsReceived++;
    this.octetsReceived += r.payloadLength;
    this.#lastRxAt = now;
    this.#timedOut = false;
    let rx = this.#rx;
    if (rx === undefined || rx.ssrc !== ssrc) rx = this.#newReceiver(ssrc);
    rx.receive(seq, ts, now);
    const kind = this.format.receiveKinds[pt];
    if (kind === PT_TELEPHONE_EVENT) {
      this.#onTelephoneEvent(r, ts, now);
    } else if (kind === PT_AUDIO) {
      const taps = this.#inTaps;
      for (let i = 0; i < taps.length; i++) (taps[i] as PacketTap).push(r, now);
      if (this.mode === MODE_TRANSCODE || this.mode === MODE_BRIDGE) {
        this.rxPipe?.push(r, now);
        return;
      }
      this.#packetDecoder?.onPacket(data, r.payloadOffset, r.payloadLength);
    }
    if (this.mode === MODE_RELAY) {
      const peer = this.peer as WorkerEndpoint;
      const outPt = this.#relayMap[pt] as number;
      if (outPt !== PT_DROP) peer.#relay(data, ssrc, seq, ts, pt, outPt, r.payloadLength, now);
    }
  }

  /** Sends a packet relayed from the peer: rewrite in place, send, count. */
  #relay(
    data: Uint8Array,
    ssrc: number,
    seq: number,
    ts: number,
    pt: number,
    outPt: number,
    payloadLength: number,
    now: number,
  ): void {
    if (this.#player !== undefined || this.#dstPort < 0 || this.#closed) return;
    const out = this.out;
    out.forward(data, ssrc, seq, ts, now);
    if (outPt !== pt) setRtpPayloadType(data, outPt);
    if (this.#outTaps.length > 0 && outPt === this.format.audio?.payloadType) this.#tapOut(data, now);
    (this.#rtp as MediaSocket).send(data, this.#dstPort, this.#dstAddress);
    this.packetsSent++;
    this.octetsSent += payloadLength;
    this.#tx.onPacketSent(payloadLength, out.lastTimestamp, now);
    this.#env.countRelayed();
  }

  #newReceiver(ssrc: number): RtpReceiverStatistics {
    const rx = new RtpReceiverStatistics({ ssrc, clockRate: this.format.audio?.clockRate ?? 8000 });
    this.#rx = rx;
    this.#prevExpected = 0;
    this.#prevReceived = 0;
    return rx;
  }

  #learned(rtcp: boolean): void {
    const l = rtcp ? this.#rtcpLatch : this.latch;
    this.#updateDestinations();
    this.#env.emit({
      kind: 'event',
      type: 'sourceLearned',
      endpoint: this.id,
      source: { address: l.learnedAddress, port: l.learnedPort },
      rtcp,
    });
  }

  #onTelephoneEvent(r: RtpReader, ts: number, now: number): void {
    if (r.payloadLength < 4) return;
    if (this.config.dtmfDetect === 'off' || this.config.dtmfDetect === 'inband') return;
    const b = r.bytes;
    const o = r.payloadOffset;
    const e = this.#teIn;
    e.timestamp = ts;
    e.event = b[o] as number;
    e.end = ((b[o + 1] as number) & 0x80) !== 0;
    e.volume = (b[o + 1] as number) & 0x3f;
    e.duration = ((b[o + 2] as number) << 8) | (b[o + 3] as number);
    const events = this.#teRx.receive(e, now);
    for (let i = 0; i < events.length; i++) {
      const d = events[i];
      if (d?.type === 'begin' && d.digit !== undefined) this.#digitBegan(d.digit);
      if (d?.type === 'end' && d.digit !== undefined) {
        this.#digitReceived(
          d.digit,
          (d.duration * 1000) / (this.format.telephoneEvent?.clockRate ?? 8000),
          'rfc4733',
        );
      }
    }
  }

  /** A digit began on this leg (RFC 4733 start, or an in-band tone recognised): barge-in. */
  #digitBegan(digit: string): void {
    if (digit === 'flash') return;
    if (this.#player !== undefined && this.#playOptions.bargeIn) this.#finishPlayer('barge-in', digit);
    this.bridge?.digitBegan(digit);
  }

  /** A digit heard on this leg: tell the host, and pass it on where the peer cannot get it otherwise. */
  #digitReceived(digit: string, durationMs: number, source: 'rfc4733' | 'inband'): void {
    this.#env.emit({ kind: 'event', type: 'dtmf', endpoint: this.id, digit, durationMs, source });
    const peer = this.peer;
    if (!peer || source !== 'rfc4733' || digit === 'flash') return;
    // relay with telephone-event on both legs passes the packets through; otherwise regenerate
    const passedThrough =
      this.mode === MODE_RELAY &&
      this.format.telephoneEvent !== undefined &&
      this.#relayMap[this.#telephoneEventReceivePt()] !== PT_DROP;
    if (passedThrough) return;
    peer.sendDtmf(digit, { durationMs: Math.max(40, Math.min(durationMs, 2000)), gapMs: 0 }).catch(() => {
      // the peer closed or has no audio codec: nothing to pass the digit to
    });
  }

  #telephoneEventReceivePt(): number {
    const te = this.format.telephoneEvent;
    return te ? (te.receivePayloadType ?? te.payloadType) : 0;
  }

  #onRtcp(data: Uint8Array, address: string, port: number): void {
    const verdict = this.#rtcpLatch.acceptFrom(address, port, this.latch.learnedAddress);
    if (verdict === LATCH_REJECT) {
      this.packetsRejected++;
      return;
    }
    const clock = this.#env.clock;
    if (!this.#rtcpReporter.onPacket(data, clock.now(), clock.wallTime(), this.out.ssrc, this.#rx)) {
      this.packetsInvalid++;
      return;
    }
    if (verdict === LATCH_LEARNED) this.#learned(true);
  }

  // ------------------------------------------------------------------ send

  #signalledRtcp(): { address: string; port: number } | null {
    const r = this.config.remote;
    if (!r) return null;
    if (r.rtcpMux) return { address: r.address, port: r.port };
    return { address: r.rtcpAddress ?? r.address, port: r.rtcpPort ?? r.port + 1 };
  }

  #updateDestinations(): void {
    const r = this.config.remote;
    const sym = this.config.symmetric;
    const usable = (a: string, p: number) => p > 0 && p < 65536 && a !== '0.0.0.0' && a !== '::' && a !== '';
    if (sym && this.latch.learned) {
      this.#dstAddress = this.latch.learnedAddress;
      this.#dstPort = this.latch.learnedPort;
      // the learned source is the only peer from now on: let the kernel filter the rest
      this.#rtp?.connect?.(this.#dstPort, this.#dstAddress);
    } else if (r && usable(r.address, r.port)) {
      this.#dstAddress = r.address;
      this.#dstPort = r.port;
    } else {
      this.#dstAddress = '';
      this.#dstPort = -1;
    }
    if (!(sym && this.latch.learned)) this.#rtp?.disconnect?.();
    const rc = this.#signalledRtcp();
    if (r?.rtcpMux) {
      this.#rtcpDstAddress = this.#dstAddress;
      this.#rtcpDstPort = this.#dstPort;
    } else if (sym && this.#rtcpLatch.learned) {
      this.#rtcpDstAddress = this.#rtcpLatch.learnedAddress;
      this.#rtcpDstPort = this.#rtcpLatch.learnedPort;
    } else if (rc && usable(rc.address, rc.port)) {
      this.#rtcpDstAddress = rc.address;
      this.#rtcpDstPort = rc.port;
    } else {
      this.#rtcpDstAddress = '';
      this.#rtcpDstPort = -1;
    }
  }

  /** Sends one generated audio payload (from the SendPipeline). */
  readonly #sendAudio = (payloadType: number, payload: Uint8Array, bytes: number, ticks: number): void => {
    if (this.#dstPort < 0 || this.#closed) return;
    const now = this.#env.clock.now();
    const out = this.out;
    const bufs = this.#buffers as PacketBuffers;
    const buf = bufs.take();
    out.writeAudioHeader(buf, payloadType, now, ticks);
    for (let i = 0; i < bytes; i++) buf[12 + i] = payload[i] as number;
    const packet = bufs.commit(12 + bytes);
    if (this.#outTaps.length > 0) this.#tapOut(packet, now);
    (this.#rtp as MediaSocket).send(packet, this.#dstPort, this.#dstAddress);
    this.packetsSent++;
    this.octetsSent += bytes;
    this.#tx.onPacketSent(bytes, out.lastTimestamp, now);
  };

  #sendTelephoneEvents(packets: TelephoneEventPacket[], now: number): void {
    const te = this.format.telephoneEvent;
    if (!te || this.#dstPort < 0) return;
    for (const p of packets) {
      const buf = new Uint8Array(16);
      writeRtpHeader(buf, te.payloadType, p.marker, this.out.nextSeq(), p.timestamp, this.out.ssrc);
      buf[12] = p.event;
      buf[13] = (p.end ? 0x80 : 0) | (p.volume & 0x3f);
      buf[14] = (p.duration >>> 8) & 0xff;
      buf[15] = p.duration & 0xff;
      (this.#rtp as MediaSocket).send(buf, this.#dstPort, this.#dstAddress);
      this.packetsSent++;
      this.octetsSent += 4;
      this.#tx.onPacketSent(4, p.timestamp, now);
    }
  }

  // ------------------------------------------------------------------ terminated media

  /** Whether in-band DTMF is listened for on this leg. */
  #needsInband(): boolean {
    const m = this.config.dtmfDetect;
    return m === 'inband' || (m === 'auto' && this.format.telephoneEvent === undefined);
  }

  /** The codec instance at `rate` (created, or re-created when the codec or rate changed). */
  async #useCodec(rate: number): Promise<AudioCodec> {
    const audio = this.format.audio;
    if (!audio) throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${this.id} has no audio codec`);
    const key = `${audio.encodingName.toLowerCase()}/${audio.clockRate}/${rate}/${audio.payloadType}/${this.config.ptime}`;
    if (this.#codec && this.#codecKey === key) return this.#codec;
    const isOpus = audio.encodingName.toLowerCase() === 'opus';
    const codec = await createCodec(audio.encodingName, {
      sampleRate: rate,
      channels: 1,
      ...(isOpus ? this.config.opus : {}),
    });
    if (this.#closed) {
      codec.close();
      throw new StrowgerError('ERR_CLOSED', `endpoint ${this.id} closed`);
    }
    if (this.#codec && this.#codecKey === key) {
      codec.close();
      return this.#codec;
    }
    this.#codec?.close();
    this.#codec = codec;
    this.#codecKey = key;
    this.txPipe = new SendPipeline(codec, audio.payloadType, this.config.ptime, this.#sendAudio);
    this.#frame = new Int16Array((codec.sampleRate * this.#env.tickMs) / 1000);
    this.#buffers ??= new PacketBuffers(12 + 1500);
    return codec;
  }

  /** Builds what the current mode needs: the jitter-buffered decoder (transcoding) or the packet decoder (in-band DTMF). */
  async reconfigure(): Promise<void> {
    const audio = this.format.audio;
    const inband = this.#needsInband();
    const onDigit = (digit: string, durationMs: number) => this.#digitReceived(digit, durationMs, 'inband');
    const onBegin = (digit: string) => this.#digitBegan(digit);
    if (this.mode === MODE_TRANSCODE || this.mode === MODE_BRIDGE) {
      const mode = this.mode;
      const codec = await this.#useCodec(this.transcodeRate);
      if (this.mode !== mode) return; // left the bridge/session while the codec was made
      this.rxPipe = new ReceivePipeline({
        codec,
        tickMs: this.#env.tickMs,
        jitter: this.config.jitter,
        ...(inband ? { onInbandDigit: onDigit, onInbandDigitBegin: onBegin } : {}),
      });
      this.#packetDecoder = undefined;
      return;
    }
    this.rxPipe = undefined;
    if (inband && audio) {
      const codec = await this.#useCodec(this.#codec?.sampleRate ?? pcmRateFor(audio));
      if (this.mode === MODE_IDLE || this.mode === MODE_RELAY) {
        this.#packetDecoder = new PacketDecoder(codec, onDigit, onBegin);
      }
    } else {
      this.#packetDecoder = undefined;
    }
  }

  /** Points the relay path at `peer` (payload types translated from our codecs to its). */
  setRelay(peer: WorkerEndpoint): void {
    this.#relayMap = relayPayloadMap(this.config.codecs, peer.config.codecs);
    this.mode = MODE_RELAY;
    this.peer = peer;
    peer.out.remap();
  }

  /** Back to idle (no peer, no bridge). */
  clearConnection(): void {
    this.mode = MODE_IDLE;
    this.peer = undefined;
    this.sessionId = -1;
    this.#relayMap.fill(PT_DROP);
    this.rxPipe = undefined;
  }

  // ------------------------------------------------------------------ recording taps

  /** Starts feeding `tap` with this endpoint's audio packets (its direction). */
  addTap(tap: PacketTap): void {
    if (tap.direction === 'in') this.#inTaps = [...this.#inTaps, tap];
    else this.#outTaps = [...this.#outTaps, tap];
  }

  removeTap(tap: PacketTap): void {
    this.#inTaps = this.#inTaps.filter((t) => t !== tap);
    this.#outTaps = this.#outTaps.filter((t) => t !== tap);
  }

  /** Feeds a packet we send (rewritten or generated) to the `out` taps. */
  #tapOut(packet: Uint8Array, now: number): void {
    try {
      tapReader.wrap(packet);
    } catch {
      return;
    }
    const taps = this.#outTaps;
    for (let i = 0; i < taps.length; i++) (taps[i] as PacketTap).push(tapReader, now);
  }

  // ------------------------------------------------------------------ players and DTMF out

  /**
   * Plays `input` (a source or a playlist) until it ends, is stopped or
   * replaced, or a digit barges in; resolves with how it ended.
   */
  async play(input: PlayInput, options: PlayOptions = {}): Promise<PlayResult> {
    const audio = this.format.audio;
    if (!audio) throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${this.id} has no audio codec`);
    const codec = await this.#useCodec(this.#codec?.sampleRate ?? pcmRateFor(audio));
    const player = await createPlayer(input, codec.sampleRate, this.#env.play, {
      loop: options.loop === true,
      frameSamples: (codec.sampleRate * this.#env.tickMs) / 1000,
    });
    if (this.#closed) {
      player.close();
      throw new StrowgerError('ERR_CLOSED', `endpoint ${this.id} closed`);
    }
    return new Promise<PlayResult>((resolve) => {
      this.#finishPlayer('replaced');
      this.#player = player;
      this.#playerDone = resolve;
      this.#playOptions = { bargeIn: options.bargeIn === true, loop: options.loop === true };
      this.txPipe?.reset();
      this.#updateTicking();
      this.#env.emit({ kind: 'event', type: 'playing', endpoint: this.id });
    });
  }

  /** Stops, pauses (silence is sent meanwhile) or resumes the current play. */
  controlPlay(action: 'stop' | 'pause' | 'resume'): void {
    const p = this.#player;
    if (!p) return;
    if (action === 'pause') p.paused = true;
    else if (action === 'resume') p.paused = false;
    else this.#finishPlayer('stopped');
  }

  stopPlay(): void {
    this.#finishPlayer('stopped');
  }

  #finishPlayer(reason: PlayEndReason, digit?: string): void {
    const done = this.#playerDone;
    const player = this.#player;
    this.#player = undefined;
    this.#playerDone = undefined;
    player?.close();
    if (done) {
      this.txPipe?.reset();
      this.out.remap();
      const result: PlayResult = {
        completed: reason === 'completed',
        reason,
        playedMs: player ? player.playedMs : 0,
      };
      if (digit !== undefined) result.digit = digit;
      done(result);
    }
    this.#updateTicking();
  }

  /** Queues DTMF digits: RFC 4733 when negotiated (or asked), in-band tones otherwise. */
  async sendDtmf(
    digits: string,
    options: DtmfSendOptions,
  ): Promise<{ sent: number; mode: 'rfc4733' | 'inband' }> {
    if (typeof digits !== 'string' || !/^[0-9*#A-Da-d]+$/.test(digits)) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `DTMF digits must be 0-9 * # A-D, got ${JSON.stringify(digits)}`,
      );
    }
    const durationMs = options.durationMs ?? 100;
    const gapMs = options.gapMs ?? 60;
    if (!(durationMs >= 20 && durationMs <= 8000) || !(gapMs >= 0 && gapMs <= 8000)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'durationMs must be 20..8000 and gapMs 0..8000');
    }
    const mode = options.mode ?? 'auto';
    const te = this.format.telephoneEvent !== undefined;
    if (mode === 'rfc4733' && !te) {
      throw new StrowgerError('ERR_INVALID_STATE', `endpoint ${this.id} has no telephone-event format`);
    }
    if (mode === 'rfc4733' || (mode === 'auto' && te)) {
      const sent = await new Promise<number>((resolve, reject) => {
        this.#dtmfJobs.push({ digits: digits.toUpperCase(), index: 0, durationMs, gapMs, resolve, reject });
        this.#updateTicking();
      });
      return { sent, mode: 'rfc4733' };
    }
    const played = await this.play({ dtmfTones: digits, toneMs: durationMs, gapMs: Math.max(gapMs, 1) });
    if (!played.completed) throw new StrowgerError('ERR_ABORTED', 'in-band DTMF was interrupted');
    return { sent: digits.length, mode: 'inband' };
  }

  #updateTicking(): void {
    const on = !this.#closed && (this.#player !== undefined || this.#dtmfJobs.length > 0);
    if (on !== this.#ticking) {
      this.#ticking = on;
      this.#env.setTicking(this, on);
    }
  }

  /** Per-tick work: the player's next frame, the DTMF sender's state machine. */
  tick(now: number): void {
    const player = this.#player;
    if (player !== undefined && this.txPipe !== undefined && this.#frame !== undefined) {
      const frame = this.#frame;
      player.fill(frame);
      this.txPipe.write(frame, frame.length);
      if (player.done) this.#finishPlayer('completed');
    }
    if (this.#dtmfJobs.length > 0) this.#tickDtmf(now);
  }

  #tickDtmf(now: number): void {
    const job = this.#dtmfJobs[0] as DtmfJob;
    const te = this.format.telephoneEvent;
    if (!te) {
      this.#dtmfJobs.shift();
      job.reject(new StrowgerError('ERR_INVALID_STATE', 'telephone-event is no longer negotiated'));
      this.#updateTicking();
      return;
    }
    if (!this.#teSender) this.#teSender = new TelephoneEventSender({ clockRate: te.clockRate });
    const s = this.#teSender;
    switch (this.#dtmfState) {
      case DTMF_IDLE: {
        if (now < this.#dtmfNextAt) return;
        const code = telephoneEventCode(job.digits[job.index] as string) as number;
        this.#sendTelephoneEvents(s.start(code, this.out.timestampAt(now), now), now);
        this.#dtmfStopAt = now + job.durationMs;
        this.#dtmfState = DTMF_SOUNDING;
        return;
      }
      case DTMF_SOUNDING:
        if (now >= this.#dtmfStopAt) {
          this.#sendTelephoneEvents(s.stop(now), now);
          this.#dtmfState = DTMF_ENDING;
        } else {
          this.#sendTelephoneEvents(s.poll(now), now);
        }
        return;
      default:
        this.#sendTelephoneEvents(s.poll(now), now);
        if (s.busy) return;
        this.#dtmfState = DTMF_IDLE;
        this.#dtmfNextAt = now + job.gapMs;
        job.index++;
        if (job.index >= job.digits.length) {
          this.#dtmfJobs.shift();
          job.resolve(job.digits.length);
          this.#updateTicking();
        }
    }
  }

  // ------------------------------------------------------------------ housekeeping

  /** Timeouts, RFC 4733 digit timeouts, RTCP and stats; runs a few times per second. */
  housekeeping(now: number, wallMs: number): void {
    const c = this.config;
    if (c.rtpTimeoutMs > 0 && !this.#timedOut && now - this.#lastRxAt >= c.rtpTimeoutMs) {
      this.#timedOut = true;
      this.#env.emit({
        kind: 'event',
        type: 'rtpTimeout',
        endpoint: this.id,
        silentMs: now - this.#lastRxAt,
      });
    }
    if (this.#teRx.active) {
      for (const d of this.#teRx.poll(now)) {
        if (d.type === 'end' && d.digit !== undefined) {
          this.#digitReceived(
            d.digit,
            (d.duration * 1000) / (this.format.telephoneEvent?.clockRate ?? 8000),
            'rfc4733',
          );
        }
      }
    }
    if (this.#rtcpReporter.isDue(now)) this.#sendRtcp(now, wallMs, false);
    if (c.statsIntervalMs > 0 && now >= this.#nextStatsAt) {
      this.#nextStatsAt = now + c.statsIntervalMs;
      this.#env.emit({ kind: 'event', type: 'stats', endpoint: this.id, stats: this.stats(now, true) });
    }
  }

  #sendRtcp(now: number, wallMs: number, bye: boolean): void {
    const bytes = this.#rtcpReporter.build(now, wallMs, this.#tx, this.#rx, this.config.cname, bye);
    if (this.#rtcpDstPort < 0) return;
    const sock = this.config.remote?.rtcpMux ? this.#rtp : this.#rtcp;
    sock?.send(bytes, this.#rtcpDstPort, this.#rtcpDstAddress);
  }

  /** Current figures; `interval`: loss over the time since the previous interval call. */
  stats(now: number, interval: boolean): EndpointStats {
    const rx = this.#rx;
    const expected = rx?.expected ?? 0;
    const received = rx?.received ?? 0;
    let dE = expected;
    let dR = received;
    if (interval) {
      dE = expected - this.#prevExpected;
      dR = received - this.#prevReceived;
      this.#prevExpected = expected;
      this.#prevReceived = received;
    }
    const lossPercent = dE > 0 ? Math.min(100, Math.max(0, ((dE - dR) * 100) / dE)) : 0;
    const clockRate = this.format.audio?.clockRate ?? 8000;
    const jitterMs = rx ? (rx.jitter * 1000) / clockRate : 0;
    const jbs = this.rxPipe?.jitter.stats();
    const rb = this.#rtcpReporter.remoteBlock;
    const rtt = this.#rtcpReporter.rttMs;
    let quality: EndpointStats['quality'] = null;
    if (this.packetsReceived > 0) {
      const name = (this.format.audio?.encodingName ?? 'pcmu').toLowerCase();
      const codec: KnownCodec = name in CODEC_IMPAIRMENTS ? (name as KnownCodec) : 'pcmu';
      const bufferMs = jbs ? jbs.currentDelayMs : 2 * jitterMs;
      const q = estimateQuality({
        codec,
        lossPercent,
        oneWayDelayMs: Math.max(0, (rtt ?? 0) / 2 + bufferMs + this.config.ptime),
      });
      quality = { r: q.r, mos: q.mos };
    }
    return {
      atMs: now,
      packetsReceived: this.packetsReceived,
      octetsReceived: this.octetsReceived,
      packetsSent: this.packetsSent,
      octetsSent: this.octetsSent,
      packetsRejected: this.packetsRejected,
      packetsInvalid: this.packetsInvalid,
      packetsLost: rx?.cumulativeLost ?? 0,
      lossPercent,
      jitterMs,
      rttMs: rtt,
      remote: rb
        ? {
            lossPercent: (rb.fractionLost * 100) / 256,
            packetsLost: rb.packetsLost,
            jitterMs: (rb.jitter * 1000) / clockRate,
          }
        : null,
      source: this.latch.learned
        ? { address: this.latch.learnedAddress, port: this.latch.learnedPort }
        : null,
      jitterBuffer: jbs
        ? {
            delayMs: jbs.currentDelayMs,
            targetDelayMs: jbs.targetDelayMs,
            concealed: jbs.concealed,
            late: jbs.late,
            lost: jbs.lost,
          }
        : null,
      quality,
    };
  }

  // ------------------------------------------------------------------ configuration and lifecycle

  /** Applies a new configuration (a re-INVITE): remote, codecs, options. Learning starts again. */
  applyConfig(config: EndpointConfig): void {
    const codecsChanged = JSON.stringify(config.codecs) !== JSON.stringify(this.config.codecs);
    this.config = config;
    if (codecsChanged) {
      this.format = mediaFormat(config.codecs);
      const rate = this.format.audio?.clockRate ?? 8000;
      this.out.clockRate = rate;
      this.#tx = new RtpSenderStatistics({ ssrc: this.out.ssrc, clockRate: rate });
      this.#rx = undefined;
      this.#teSender = undefined;
    }
    this.latch.reset(config.remote, config.learnPackets);
    this.#rtcpLatch.reset(this.#signalledRtcp(), 1);
    this.#updateDestinations();
    const now = this.#env.clock.now();
    this.#lastRxAt = now;
    this.#timedOut = false;
    this.#nextStatsAt = now + (config.statsIntervalMs || 0);
    if (this.mode === MODE_RELAY && this.peer) {
      this.#relayMap = relayPayloadMap(this.config.codecs, this.peer.config.codecs);
      this.peer.#relayMap = relayPayloadMap(this.peer.config.codecs, this.config.codecs);
    }
  }

  /** Sends RTCP BYE, closes sockets and codecs, settles what is pending. Idempotent. */
  close(): void {
    if (this.#closed) return;
    const clock = this.#env.clock;
    if (this.packetsSent > 0 || this.packetsReceived > 0) {
      try {
        this.#sendRtcp(clock.now(), clock.wallTime(), true);
      } catch {
        // a BYE that cannot be built or sent does not keep the endpoint open
      }
    }
    this.#closed = true;
    this.#finishPlayer('closed');
    for (const job of this.#dtmfJobs.splice(0)) {
      job.reject(new StrowgerError('ERR_CLOSED', `endpoint ${this.id} closed`));
    }
    this.#updateTicking();
    this.#rtp?.close();
    this.#rtcp?.close();
    this.#codec?.close();
    this.#codec = undefined;
    this.rxPipe = undefined;
    this.txPipe = undefined;
    this.#packetDecoder = undefined;
  }
}
