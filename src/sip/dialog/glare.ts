/**
 * Glare (RFC 3261 §14.1): after a 491 to its re-INVITE (or UPDATE, RFC 3311
 * §5.1) a UAC waits a random time before retrying — 2.1 to 4 s in units of
 * 10 ms if it owns the Call-ID (it sent the dialog-creating request), 0 to
 * 2 s otherwise — so that the two sides do not collide again.
 */
import type { Random } from '../../core/index.js';

/** The retry delay in ms for a 491, chosen in 10 ms steps. */
export function glareRetryDelay(ownsCallId: boolean, random: Random): number {
  // 2.1 .. 4.0 s: 191 steps of 10 ms; 0 .. 2.0 s: 201 steps
  return ownsCallId ? 2100 + 10 * random.int(191) : 10 * random.int(201);
}
