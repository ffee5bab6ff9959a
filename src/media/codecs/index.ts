/**
 * L2 media/codecs: audio codecs, pure and without I/O.
 *
 * This index exports G.722 only; the other codecs and the codec registry are
 * added beside it.
 */
export {
  G722_DEFAULTS,
  G722_SAMPLE_RATE,
  type G722Bitrate,
  G722Decoder,
  G722Encoder,
  type G722Options,
} from './g722.js';
