/** What bench/lib/switch-launcher.ts is given and what it reports (shared with bench/cps.ts). */

export interface LauncherSpec {
  /** The switch's configuration file (YAML; JSON is YAML too). */
  config: string;
  /** SDP passes through, no media engine. */
  signallingOnly: boolean;
  /** The bundled media worker (media-worker.mjs) when media is anchored. */
  workerScript?: string;
  /** Where the stats JSON is written (replaced atomically). */
  statsFile: string;
  statsEveryMs: number;
  /** Calls up longer than this are listed in `oldCalls` (default 30 s). */
  oldCallMs?: number;
}

export interface LauncherStats {
  /** Wall ms of these figures. */
  at: number;
  /** Calls in progress. */
  active: number;
  /** Calls ended (an `ended` event each: the CDR was attempted). */
  ended: number;
  /** Of those, answered ones. */
  answered: number;
  /** CDRs the switch reported written. */
  cdrs: number;
  /** `error` events (a CDR not written, a listener that threw …). */
  errors: number;
  lastError: string | null;
  /** The media engine's workers, summed (null when signalling-only). */
  engine: {
    workers: number;
    endpoints: number;
    sessions: number;
    relayedPackets: number;
    lateTicks: number;
    maxLagMs: number;
  } | null;
  rssMb: number;
  /** V8 heap in use at the last dump, and the most seen at any dump. */
  heapUsedMb?: number;
  heapPeakMb?: number;
  /** The SIP thread's GC pauses: longest since the last dump, count over 50 ms and total ms so far. */
  gc?: { maxPauseMs: number; over50ms: number; totalMs: number };
  /** Wall ms each call in progress started at (at most 5,000 of them). */
  activeStarts?: number[];
  /** Up to 20 calls up longer than `oldCallMs`: their state and their legs' INVITE-session states. */
  oldCalls?: { id: string; state: string; ageMs: number; legs: string[]; callIds: string[] }[];
  closed?: boolean;
}
