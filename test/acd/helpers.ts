import { expect } from 'vitest';
import { type Acd, type AcdEvents, type AcdOptions, createAcd } from '../../src/acd/index.js';
import { type ErrorCode, FakeClock, isStrowgerError, seededRandom } from '../../src/core/index.js';

export const EVENT_NAMES: ReadonlyArray<keyof AcdEvents> = [
  'queued',
  'rejected',
  'offer',
  'offerWithdrawn',
  'connected',
  'position',
  'abandoned',
  'exited',
  'overflowed',
  'callbackOffer',
  'callbackScheduled',
  'callbackDue',
  'callbackFailed',
  'agentState',
  'slaAtRisk',
  'slaRecovered',
  'queueOpened',
  'queueClosed',
  'ended',
];

export type Recorded = { [K in keyof AcdEvents]: { name: K; event: AcdEvents[K][0] } }[keyof AcdEvents];

export interface Harness {
  clock: FakeClock;
  acd: Acd;
  log: Recorded[];
  of<K extends keyof AcdEvents>(name: K): AcdEvents[K][0][];
  /** Agent state transitions as "from>to" strings for one agent. */
  states(agentId: string): string[];
  offers(): string[];
}

export function harness(options: Omit<AcdOptions, 'clock'> = {}, clock = new FakeClock()): Harness {
  const acd = createAcd({ random: seededRandom(1), ...options, clock });
  const log: Recorded[] = [];
  for (const name of EVENT_NAMES) {
    acd.on(name, ((event: unknown) => log.push({ name, event } as Recorded)) as never);
  }
  return {
    clock,
    acd,
    log,
    of: (name) => log.filter((r) => r.name === name).map((r) => r.event) as never,
    states: (agentId) =>
      log
        .filter((r) => r.name === 'agentState' && r.event.agentId === agentId)
        .map((r) => {
          const e = r.event as AcdEvents['agentState'][0];
          return `${e.from}>${e.to}${e.pauseReason ? `(${e.pauseReason})` : ''}`;
        }),
    offers: () =>
      log
        .filter((r) => r.name === 'offer')
        .map((r) => {
          const e = r.event as AcdEvents['offer'][0];
          return `${e.interactionId}@${e.agentId}`;
        }),
  };
}

export function expectCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isStrowgerError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (message) expect((err as Error).message).toMatch(message);
}
