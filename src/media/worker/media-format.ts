/**
 * What an endpoint's codec list means for the worker: the audio codec it
 * sends, its telephone-event format, what each received payload type is, the
 * payload-type translation of a relay, and the PCM rate a codec runs at when
 * the engine terminates its media.
 */
import { StrowgerError } from '../../core/index.js';
import { codecs as codecRegistry, OPUS_SAMPLE_RATES } from '../codecs/index.js';
import type { CodecSpec } from './types.js';

/** Received payload type kinds. */
export const PT_UNKNOWN = 0;
export const PT_AUDIO = 1;
export const PT_TELEPHONE_EVENT = 2;
/** Another negotiated format (a second audio codec, CN, RED): relayed when the peer has it, else dropped. */
export const PT_OTHER = 3;

/** Payload type "drop" in a relay translation table. */
export const PT_DROP = 255;

const AUXILIARY = new Set(['telephone-event', 'cn', 'red', 'ulpfec', 'flexfec', 'flexfec-03', 'rtx']);

export interface MediaFormat {
  /** The audio codec sent (first non-auxiliary entry). */
  audio: CodecSpec | undefined;
  /** telephone-event at the audio clock rate if offered, else the first one. */
  telephoneEvent: CodecSpec | undefined;
  /** Received payload type → PT_* kind. */
  receiveKinds: Uint8Array;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function receivePt(c: CodecSpec): number {
  return c.receivePayloadType ?? c.payloadType;
}

/** Checks a codec list from the host (bad input is ERR_INVALID_ARGUMENT, never a crash). */
export function validateCodecs(list: readonly CodecSpec[]): void {
  if (!Array.isArray(list)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'codecs must be an array');
  for (const c of list) {
    const ok =
      c &&
      typeof c.encodingName === 'string' &&
      c.encodingName.length > 0 &&
      Number.isInteger(c.payloadType) &&
      c.payloadType >= 0 &&
      c.payloadType <= 127 &&
      (c.receivePayloadType === undefined ||
        (Number.isInteger(c.receivePayloadType) &&
          c.receivePayloadType >= 0 &&
          c.receivePayloadType <= 127)) &&
      Number.isInteger(c.clockRate) &&
      c.clockRate > 0;
    if (!ok) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `bad codec ${JSON.stringify(c)}: need encodingName, clockRate > 0, payloadType 0..127`,
      );
    }
  }
}

export function mediaFormat(list: readonly CodecSpec[]): MediaFormat {
  const audio = list.find((c) => !AUXILIARY.has(c.encodingName.toLowerCase()));
  const tes = list.filter((c) => same(c.encodingName, 'telephone-event'));
  const telephoneEvent = (audio && tes.find((t) => t.clockRate === audio.clockRate)) ?? tes[0];
  const receiveKinds = new Uint8Array(128);
  for (const c of list) {
    const pt = receivePt(c);
    if (receiveKinds[pt] !== PT_UNKNOWN) continue;
    receiveKinds[pt] = c === audio ? PT_AUDIO : c === telephoneEvent ? PT_TELEPHONE_EVENT : PT_OTHER;
  }
  return { audio, telephoneEvent, receiveKinds };
}

/** True when two legs can be relayed: the same audio codec (name and clock rate). */
export function relayCompatible(a: MediaFormat, b: MediaFormat): boolean {
  return (
    a.audio !== undefined &&
    b.audio !== undefined &&
    same(a.audio.encodingName, b.audio.encodingName) &&
    a.audio.clockRate === b.audio.clockRate
  );
}

/**
 * The relay translation from what `from` receives to what `to` sends: each
 * payload type `from`'s peer may send → the payload type `to`'s peer expects
 * for the same format (name + clock rate), or {@link PT_DROP}.
 */
export function relayPayloadMap(from: readonly CodecSpec[], to: readonly CodecSpec[]): Uint8Array {
  const map = new Uint8Array(128).fill(PT_DROP);
  for (const c of from) {
    const match = to.find((t) => same(t.encodingName, c.encodingName) && t.clockRate === c.clockRate);
    if (match && map[receivePt(c)] === PT_DROP) map[receivePt(c)] = match.payloadType;
  }
  return map;
}

/** The PCM rate a codec is decoded to / encoded from when terminated (`peerRate`: the other leg's). */
export function pcmRateFor(spec: CodecSpec, peerRate?: number): number {
  const name = spec.encodingName.toLowerCase();
  if (name === 'opus') {
    // libopus resamples internally: run it at the other leg's rate and save a resampler
    if (peerRate !== undefined && (OPUS_SAMPLE_RATES as readonly number[]).includes(peerRate))
      return peerRate;
    return peerRate === undefined ? 16000 : 48000;
  }
  if (name === 'g722') return 16000;
  if (name === 'pcmu' || name === 'pcma') return 8000;
  if (name === 'l16') return spec.clockRate;
  const f = codecRegistry.get(spec.encodingName);
  if (!f) throw new StrowgerError('ERR_NOT_SUPPORTED', `no codec named ${spec.encodingName}`);
  return f.sampleRates.includes(spec.clockRate) ? spec.clockRate : (f.sampleRates[0] as number);
}

/** The rate a codec would naturally run at alone (the `peerRate` the other leg uses in {@link pcmRateFor}). */
export function naturalRate(spec: CodecSpec): number {
  return spec.encodingName.toLowerCase() === 'opus' ? 48000 : pcmRateFor(spec);
}
