/** Limits that keep the parser safe against abusive input. */
export interface ParserLimits {
  /** Largest whole message in bytes (default 65 535, the largest UDP payload); larger → 513. */
  maxMessageSize: number;
  /** Most header lines (after unfolding) a message may carry (default 256). */
  maxHeaders: number;
  /** Longest physical line in bytes (default 16 384); longer → 400 (414 for the request line). */
  maxLineLength: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxMessageSize: 65_535,
  maxHeaders: 256,
  maxLineLength: 16_384,
});
