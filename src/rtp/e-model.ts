/**
 * A call-quality estimate from the ITU-T G.107 E-model, reduced the way VoIP
 * monitoring usually reduces it: every input except codec, packet loss and
 * one-way delay stays at its G.107 default, so
 *
 *     R = 93.2 - Id(Ta) - Ie,eff + A
 *
 * where 93.2 is Ro - Is (and the echo terms) with all defaults (G.107 §7.7),
 * Id is the delay impairment and Ie,eff the equipment impairment under
 * packet loss (G.107 §7.5, eq. 7-29):
 *
 *     Ie,eff = Ie + (95 - Ie) · Ppl / (Ppl / BurstR + Bpl)
 *
 * MOS follows from R by G.107 Annex B. This is the narrowband (300-3400 Hz)
 * model: wideband codecs (G.722, Opus) are rated on the narrowband scale,
 * which caps them at G.711 quality (see {@link CODEC_IMPAIRMENTS}).
 */
import { StrowgerError } from '../core/index.js';

/** Equipment impairment and packet-loss robustness of a codec (+ where the numbers come from). */
export interface CodecImpairment {
  /** Equipment impairment factor Ie with no loss. */
  ie: number;
  /** Packet-loss robustness factor Bpl. */
  bpl: number;
  /** Source of the values. */
  source: string;
  /** True when no ITU-T value exists and the numbers are a stated assumption. */
  provisional: boolean;
}

/**
 * Ie/Bpl per codec on the narrowband E-model scale.
 *
 * - PCMU/PCMA: ITU-T G.113 (11/2007) Appendix I, Table I.1 (Ie = 0 for G.711)
 *   and Table I.3 (Bpl = 25.1 for G.711 with the packet-loss concealment of
 *   G.711 Appendix I, random loss; 4.3 without concealment). Strowger's
 *   jitter buffer conceals loss, so the PLC value is the default.
 * - G.729A and G.723.1 (6.3k): G.113 Appendix I, Tables I.1/I.3 — listed as
 *   reference points for the published examples even though Strowger has no
 *   codec for them.
 * - G.722 and Opus: ITU-T publishes no narrowband Ie/Bpl for them (their
 *   values, e.g. Ie,wb = 13 for G.722 at 64 kbit/s in G.113 Appendix IV, live
 *   on the wideband scale of G.107.1). On the narrowband scale a wideband
 *   codec is at least as good as G.711, so Ie = 0; for Bpl we assume the
 *   G.711-with-PLC value (both decoders conceal loss). These are marked
 *   `provisional`; pass your own {@link CodecImpairment} if you have measured
 *   values.
 */
export const CODEC_IMPAIRMENTS = Object.freeze({
  pcmu: Object.freeze({
    ie: 0,
    bpl: 25.1,
    source: 'ITU-T G.113 App. I, Tables I.1/I.3 (G.711 + App. I PLC)',
    provisional: false,
  }),
  pcma: Object.freeze({
    ie: 0,
    bpl: 25.1,
    source: 'ITU-T G.113 App. I, Tables I.1/I.3 (G.711 + App. I PLC)',
    provisional: false,
  }),
  'g711-no-plc': Object.freeze({
    ie: 0,
    bpl: 4.3,
    source: 'ITU-T G.113 App. I, Tables I.1/I.3 (G.711, no PLC)',
    provisional: false,
  }),
  g729a: Object.freeze({
    ie: 11,
    bpl: 19.0,
    source: 'ITU-T G.113 App. I, Tables I.1/I.3 (G.729A + VAD)',
    provisional: false,
  }),
  'g723.1': Object.freeze({
    ie: 15,
    bpl: 16.1,
    source: 'ITU-T G.113 App. I, Tables I.1/I.3 (G.723.1 6.3 kbit/s + VAD)',
    provisional: false,
  }),
  g722: Object.freeze({
    ie: 0,
    bpl: 25.1,
    source: 'assumption: narrowband-capped, Bpl of G.711 + PLC',
    provisional: true,
  }),
  opus: Object.freeze({
    ie: 0,
    bpl: 25.1,
    source: 'assumption: narrowband-capped, Bpl of G.711 + PLC',
    provisional: true,
  }),
} satisfies Record<string, CodecImpairment>);

export type KnownCodec = keyof typeof CODEC_IMPAIRMENTS;

/** R with every G.107 input at its default (Ro - Is - Idte - Idle at defaults, no delay, no loss). */
export const R_DEFAULT = 93.2;

/**
 * G.107 §7.5 eq. 7-29: the equipment impairment under packet loss.
 * `lossPercent` is Ppl in percent (0..100); `burstR` is 1 for random loss
 * and > 1 for bursty loss (see {@link burstRatio}).
 */
export function effectiveEquipmentImpairment(
  ie: number,
  bpl: number,
  lossPercent: number,
  burstR = 1,
): number {
  if (!(lossPercent >= 0 && lossPercent <= 100)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `lossPercent must be 0..100 (got ${lossPercent})`);
  }
  if (!(burstR >= 1)) throw new StrowgerError('ERR_INVALID_ARGUMENT', `burstR must be >= 1 (got ${burstR})`);
  if (!(bpl > 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', `bpl must be > 0 (got ${bpl})`);
  return ie + ((95 - ie) * lossPercent) / (lossPercent / burstR + bpl);
}

/**
 * BurstR of G.107 §7.5 for a two-state (Gilbert) loss model: with p the
 * probability that a packet is lost after a received one and q that a packet
 * is received after a lost one, BurstR = 1 / (p + q). Given the loss rate and
 * the mean length of a loss burst (q = 1 / mean burst, p = q · loss / (1 - loss)).
 * Random loss (mean burst = 1 / (1 - loss)) gives 1.
 */
export function burstRatio(lossPercent: number, meanBurstLength: number): number {
  const ppl = lossPercent / 100;
  if (!(ppl >= 0 && ppl < 1))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'lossPercent must be in [0, 100)');
  if (!(meanBurstLength >= 1))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'meanBurstLength must be >= 1');
  if (ppl === 0) return 1;
  const q = 1 / meanBurstLength;
  const p = (q * ppl) / (1 - ppl);
  return Math.max(1, 1 / (p + q));
}

export type DelayModel = 'g107' | 'cole-rosenbluth';

/**
 * One-way delay impairment for a mouth-to-ear delay of `delayMs`.
 *
 * - 'g107' (default): Idd of G.107 §7.4 (eq. 7-27/7-28 with mT = 100 ms,
 *   sT = 1): 0 up to 100 ms, then 25{(1+X^6)^(1/6) - 3(1+(X/3)^6)^(1/6) + 2}
 *   with X = log2(Ta / 100). Echo is taken as perfectly cancelled (the echo
 *   terms stay at their default-value contribution inside 93.2).
 * - 'cole-rosenbluth': the linear fit 0.024·d + 0.11·(d - 177.3)·H(d - 177.3)
 *   from R. G. Cole and J. H. Rosenbluth, "Voice over IP performance
 *   monitoring", ACM SIGCOMM CCR 31(2), 2001 — common in monitoring tools.
 */
export function delayImpairment(delayMs: number, model: DelayModel = 'g107'): number {
  if (!(delayMs >= 0))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `delayMs must be >= 0 (got ${delayMs})`);
  if (model === 'cole-rosenbluth') return 0.024 * delayMs + (delayMs > 177.3 ? 0.11 * (delayMs - 177.3) : 0);
  if (delayMs <= 100) return 0;
  const x = Math.log2(delayMs / 100);
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
}

/**
 * G.107 Annex B: MOS (conversational quality, estimated) from R. Below R = 0
 * it is 1, above 100 it is 4.5; the cubic dips under 1 for R < 6.5, so the
 * result is clamped to [1, 4.5].
 */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  const mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  return Math.min(4.5, Math.max(1, mos));
}

export interface QualityInput {
  /** A codec from {@link CODEC_IMPAIRMENTS} or your own Ie/Bpl. */
  codec: KnownCodec | Pick<CodecImpairment, 'ie' | 'bpl'>;
  /** Packet loss in percent, jitter-buffer discards included (default 0). */
  lossPercent?: number;
  /** G.107 BurstR (default 1: random loss). */
  burstR?: number;
  /** One-way mouth-to-ear delay in ms: network + jitter buffer + packetization (default 0). */
  oneWayDelayMs?: number;
  delayModel?: DelayModel;
  /** Advantage factor A (default 0; G.107 allows up to 20 for mobile/satellite). */
  advantage?: number;
}

export interface QualityEstimate {
  r: number;
  mos: number;
  ieEff: number;
  id: number;
}

/** R and MOS for a codec, loss and delay. */
export function estimateQuality(input: QualityInput): QualityEstimate {
  const c = typeof input.codec === 'string' ? CODEC_IMPAIRMENTS[input.codec] : input.codec;
  if (!c) throw new StrowgerError('ERR_INVALID_ARGUMENT', `unknown codec ${String(input.codec)}`);
  const ieEff = effectiveEquipmentImpairment(c.ie, c.bpl, input.lossPercent ?? 0, input.burstR ?? 1);
  const id = delayImpairment(input.oneWayDelayMs ?? 0, input.delayModel);
  const r = R_DEFAULT - id - ieEff + (input.advantage ?? 0);
  return { r, mos: mosFromR(r), ieEff, id };
}
