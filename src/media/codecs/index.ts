/**
 * L2 media/codecs: audio codecs, pure and without I/O.
 *
 * This index exports G.722 only; the other codecs and the codec registry are
 * added beside it.
 */
export {
  G722Encoder,
  G722Decoder,
  type G722Bitrate,
  type G722Options,
  G722_DEFAULTS,
  G722_SAMPLE_RATE,
} from './g722.js';
