/** Public types of the ACD: configuration, read models, strategy contract and events. */
import type { Random } from '../core/index.js';
import type { BusinessHours } from './business-hours.js';

/**
 * Agent states. The chart (docs/acd.md) is {@link AGENT_TRANSITIONS}; with
 * `maxConcurrent` > 1 the state shows the most pressing activity (an offer, then a
 * connected interaction, then wrap-up) and `load` tells the rest.
 */
export type AgentState = 'logged-out' | 'available' | 'reserved' | 'ringing' | 'busy' | 'wrap-up' | 'paused';

/** A skill an interaction needs, with the lowest acceptable proficiency (1–5, default 1). */
export interface SkillRequirement {
  skill: string;
  min?: number;
}

/**
 * One bullseye ring: once a caller has waited `afterMs`, every minimum proficiency is
 * lowered by `lowerMinBy` (never below 1) and the skills in `drop` stop being required
 * (`'*'` drops them all). Rings are cumulative: ring 2 applies on top of ring 1.
 */
export interface RelaxationStep {
  afterMs: number;
  lowerMinBy?: number;
  drop?: readonly string[] | '*';
}

export interface ServiceLevelConfig {
  /** Answered within this many ms counts as met (default 20 000). */
  thresholdMs: number;
  /** Target fraction met, e.g. 0.8 for 80/20 (default 0.8). */
  target: number;
  /** How far ahead `slaAtRisk` looks, in ms (default 60 000). */
  leadMs: number;
  /** Calls (finished in the window plus waiting) needed before `slaAtRisk` may fire (default 10). */
  minCalls: number;
}

export type OverflowAction =
  /** The interaction also waits in `queue`, keeping its enqueue time and priority. */
  | { type: 'queue'; queue: string }
  /** Ask the switch to offer the caller a callback (`callbackOffer` event). */
  | { type: 'callback' }
  /** While the queue is at risk, agents with `skill` ≥ `minProficiency` (default 1) also serve it. */
  | { type: 'add-agents'; skill: string; minProficiency?: number }
  /** The interaction leaves the queue (`exited` with `reason`, default 'overflow'); the switch decides where it goes. */
  | { type: 'exit'; reason?: string };

/**
 * When an overflow rule fires: after a caller has waited `waitMs`; when the queue's
 * `slaAtRisk` fires (to every caller waiting then and every arrival while the risk
 * lasts); or when an arrival finds the queue full (`queue` action only: the arrival goes
 * to that queue instead of being rejected).
 */
export type OverflowTrigger = { waitMs: number } | 'sla-at-risk' | 'full';

export interface OverflowRule {
  when: OverflowTrigger;
  action: OverflowAction;
}

export interface DispositionConfig {
  /** Allowed wrap-up codes. */
  codes: readonly string[];
  /** Agents must give a code to finish wrap-up (default false). */
  required?: boolean;
}

export interface QueueConfig {
  id: string;
  name?: string;
  /** A registered strategy name (default 'longest-idle') or a strategy function. */
  strategy?: string | Strategy;
  /** Added to every interaction's priority; higher is served first (default 0). */
  priority?: number;
  /** Added to the waits of this queue's callers when the global scheduler compares them (default 0). */
  waitOffsetMs?: number;
  /** Skills an interaction needs when it names none itself. */
  skills?: readonly SkillRequirement[];
  /** Bullseye rings: time-based relaxation of the required skills. */
  relaxation?: readonly RelaxationStep[];
  serviceLevel?: Partial<ServiceLevelConfig>;
  /** A live caller leaves with `exited` reason 'timeout' after this long (default: never). */
  maxWaitMs?: number;
  /** Arrivals beyond this many waiting callers are rejected with reason 'full' (default: no limit). */
  maxLength?: number;
  /** Wrap-up after each interaction, ended early by `completeWrapUp` (default 0: none). */
  wrapUpMs?: number;
  /** An offer not answered within this long is a no-answer (default 15 000). */
  offerTimeoutMs?: number;
  overflow?: readonly OverflowRule[];
  /** Whether callers may join while the queue is empty (default true). */
  joinWhenEmpty?: boolean;
  /** Whether waiting callers are sent away (`exited` reason 'empty') when it becomes empty (default false). */
  leaveWhenEmpty?: boolean;
  /** What empty means (default 'no-agents-unpaused'; an automatic no-answer pause does not count). */
  emptyWhen?: 'no-agents-logged-in' | 'no-agents-unpaused';
  /** Opening hours; closed queues reject arrivals with reason 'closed' and hold callbacks. */
  hours?: BusinessHours;
  dispositions?: DispositionConfig;
  /** Handle time assumed before any has been measured, ms (default 180 000). */
  ahtMs?: number;
  /** Defaults for callbacks in this queue. */
  callback?: { maxAttempts?: number; retryDelayMs?: number };
}

/** An agent's membership of a queue: `order` for linear/round-robin, `weight` for weighted random. */
export interface QueueMembership {
  queue: string;
  order?: number;
  weight?: number;
}

export interface AgentConfig {
  id: string;
  name?: string;
  /** Skill → proficiency 1–5. */
  skills?: Readonly<Record<string, number>>;
  queues?: readonly (string | QueueMembership)[];
  /** Interactions at once (default 1; chat-style agents take more). */
  maxConcurrent?: number;
  /** Weight for weighted-random where the membership names none (default 1). */
  weight?: number;
}

export type AttributeValue = string | number | boolean;

export interface CallbackRequest {
  /** Number to call (default: the caller id). Opaque to the ACD. */
  number?: string;
  /** Wall-clock ms before which the callback must not be offered. */
  notBefore?: number;
  /** Wall-clock ms after which the callback is given up (`callbackFailed` 'window-expired'). */
  notAfter?: number;
  /** Calls to try before giving up (default: the queue's, else 3). */
  maxAttempts?: number;
  /** Pause between attempts in ms (default: the queue's, else 300 000). */
  retryDelayMs?: number;
}

export interface InteractionRequest {
  id: string;
  queue: string;
  callerId?: string;
  /** Added to the queue's priority (default 0). */
  priority?: number;
  /** Required skills; defaults to the queue's. */
  skills?: readonly SkillRequirement[];
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** Enqueue time on the ACD's clock (default now): a transfer may keep the caller's place. */
  enqueuedAt?: number;
  /** Enter as a scheduled callback (web callback) rather than a live caller. */
  callback?: CallbackRequest;
}

export type EnqueueResult =
  | { accepted: true; queueId: string; position: number; ewtMs: number }
  | { accepted: false; queueId: string; reason: 'closed' | 'full' | 'empty' };

export type InteractionState = 'waiting' | 'parked' | 'offered' | 'connected' | 'wrap-up';
export type InteractionKind = 'call' | 'callback';

export interface CallbackView {
  number: string;
  attempts: number;
  maxAttempts: number;
  retryDelayMs: number;
  notBefore: number | undefined;
  notAfter: number | undefined;
}

export interface InteractionView {
  id: string;
  kind: InteractionKind;
  /** The queue the interaction entered. */
  queueId: string;
  /** Queues it is waiting in now (more than one after an overflow to another queue). */
  waitingIn: string[];
  callerId: string | undefined;
  priority: number;
  skills: SkillRequirement[];
  attributes: Record<string, AttributeValue>;
  enqueuedAt: number;
  state: InteractionState;
  agentId: string | undefined;
  offeredTo: string[];
  disposition: string | undefined;
  callback: CallbackView | undefined;
}

export type InteractionOutcome = 'completed' | 'abandoned' | 'exited' | 'callback-failed' | 'removed';

/** What happened to one interaction, emitted once with `ended` (a CDR for the queue part). */
export interface InteractionRecord {
  id: string;
  kind: InteractionKind;
  queueId: string;
  /** Queue it was answered from (differs from queueId after an overflow). */
  servedBy: string | undefined;
  callerId: string | undefined;
  priority: number;
  attributes: Record<string, AttributeValue>;
  outcome: InteractionOutcome;
  /** Why it exited / failed / was removed. */
  reason: string | undefined;
  agentId: string | undefined;
  enqueuedAt: number;
  answeredAt: number | undefined;
  hungUpAt: number | undefined;
  endedAt: number;
  waitMs: number;
  talkMs: number | undefined;
  wrapUpMs: number | undefined;
  disposition: string | undefined;
  /** Wrap-up ended by its timer while the queue requires a code that was never given. */
  dispositionMissing: boolean;
  /** Offers made (several per ring-all round). */
  offers: number;
  callbackAttempts: number;
}

export interface AgentView {
  id: string;
  name: string | undefined;
  state: AgentState;
  /** Reason code while a pause is in force (also while busy with a pause pending). */
  pauseReason: string | undefined;
  stateSince: number;
  load: number;
  capacity: number;
  queues: string[];
  skills: Record<string, number>;
  handled: number;
  missed: number;
  consecutiveMisses: number;
  talkTimeMs: number;
  idleSince: number;
  logoutPending: boolean;
  offer: { interactionId: string; stage: 'reserved' | 'ringing' } | undefined;
  interactions: string[];
  wrapUps: string[];
}

export interface QueueStats {
  id: string;
  open: boolean;
  waiting: number;
  /** Callbacks held until their window, retry time or opening hours. */
  parkedCallbacks: number;
  longestWaitMs: number;
  /** Logged-in member agents. */
  loggedIn: number;
  /** Logged-in member agents who are not paused. */
  staffed: number;
  available: number;
  /** Over the stats window: */
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within threshold / (answered + abandoned after threshold); undefined before any. */
  serviceLevel: number | undefined;
  asaMs: number | undefined;
  abandonRate: number | undefined;
  ahtMs: number;
  /** Projected service level over the next `leadMs` (see docs/acd.md). */
  projectedServiceLevel: number | undefined;
  atRisk: boolean;
  /** Estimated wait of a caller joining now. */
  ewtMs: number;
  callbacksAnswered: number;
}

/** An agent as a strategy sees it. */
export interface AgentCandidate {
  readonly id: string;
  /** Clock ms since which the agent has been free (wrap-up ended, login, unpause). */
  readonly idleSince: number;
  readonly lastOfferAt: number;
  /** Interactions answered since login. */
  readonly handled: number;
  /** Talk time since login, ms. */
  readonly talkTimeMs: number;
  readonly load: number;
  readonly capacity: number;
  /** Proficiency 0 (none) … 5. */
  proficiency(skill: string): number;
}

/** An interaction as a strategy sees it. */
export interface StrategyInteraction {
  readonly id: string;
  readonly kind: InteractionKind;
  readonly callerId: string | undefined;
  readonly priority: number;
  readonly enqueuedAt: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface StrategyContext {
  readonly now: number;
  readonly queueId: string;
  readonly random: Random;
  /** Per-queue memory the strategy may keep between decisions (round-robin's pointer). */
  readonly memory: Record<string, unknown>;
  /** Skills the interaction needs now, after relaxation, each with its minimum. */
  readonly requirement: readonly Required<SkillRequirement>[];
  /** The agent's order in this queue (membership `order`, else the order it joined). */
  order(agent: AgentCandidate): number;
  /** The agent's weight in this queue. */
  weight(agent: AgentCandidate): number;
}

/**
 * A routing strategy: ranks the eligible, free agents for one interaction, best first.
 * It may reorder `candidates` in place and return it (the array is scratch space owned
 * by the ACD, valid only during the call), return a new array, or leave agents out.
 */
export type Strategy = (
  interaction: StrategyInteraction,
  candidates: AgentCandidate[],
  context: StrategyContext,
) => readonly AgentCandidate[];

export interface StrategyDefinition {
  rank: Strategy;
  /** Offer to every ranked agent at once; the first to answer wins (ring-all). */
  offerAll?: boolean;
}

export interface QueuedEvent {
  interactionId: string;
  queueId: string;
  kind: InteractionKind;
  position: number;
  ewtMs: number;
  at: number;
}

export interface OfferEvent {
  interactionId: string;
  agentId: string;
  queueId: string;
  kind: InteractionKind;
  callerId: string | undefined;
  /** For callbacks: the number the switch dials once the agent answers (agent-first). */
  callbackNumber: string | undefined;
  /** Part of a ring-all round offered to several agents at once. */
  offerAll: boolean;
  timeoutMs: number;
  at: number;
}

export type WithdrawReason = 'abandoned' | 'answered-elsewhere' | 'timeout' | 'logout' | 'removed';

export interface AgentStateEvent {
  agentId: string;
  from: AgentState;
  to: AgentState;
  pauseReason: string | undefined;
  load: number;
  at: number;
}

export interface SlaEvent {
  queueId: string;
  /** Service level over the stats window so far (undefined before any call). */
  serviceLevel: number | undefined;
  projectedServiceLevel: number;
  target: number;
  thresholdMs: number;
  leadMs: number;
  /** Time until the first predicted miss crosses the threshold. */
  breachInMs: number | undefined;
  waiting: number;
  /** Overflow actions that were applied. */
  actions: OverflowAction[];
  at: number;
}

/** Typed events of the ACD. Listeners run after the state change is complete. */
export type AcdEvents = {
  queued: [QueuedEvent];
  rejected: [{ interactionId: string; queueId: string; reason: 'closed' | 'full' | 'empty'; at: number }];
  offer: [OfferEvent];
  /** The ACD took an offer back: the switch must stop ringing that agent. */
  offerWithdrawn: [{ interactionId: string; agentId: string; reason: WithdrawReason; at: number }];
  connected: [
    {
      interactionId: string;
      agentId: string;
      queueId: string;
      kind: InteractionKind;
      waitMs: number;
      at: number;
    },
  ];
  /** A waiting caller's position went down (announced positions never go up). */
  position: [{ interactionId: string; queueId: string; position: number; ewtMs: number; at: number }];
  abandoned: [{ interactionId: string; queueId: string; waitMs: number; at: number }];
  exited: [{ interactionId: string; queueId: string; reason: string; at: number }];
  overflowed: [{ interactionId: string; from: string; to: string; at: number }];
  callbackOffer: [{ interactionId: string; queueId: string; position: number; ewtMs: number; at: number }];
  callbackScheduled: [{ interactionId: string; queueId: string; number: string; at: number }];
  /** A held callback (window, retry or opening hours) is back in line at its original place. */
  callbackDue: [{ interactionId: string; queueId: string; attempt: number; at: number }];
  callbackFailed: [
    {
      interactionId: string;
      queueId: string;
      reason: 'attempts-exhausted' | 'window-expired';
      attempts: number;
      at: number;
    },
  ];
  agentState: [AgentStateEvent];
  slaAtRisk: [SlaEvent];
  slaRecovered: [SlaEvent];
  queueOpened: [{ queueId: string; at: number }];
  queueClosed: [{ queueId: string; at: number }];
  /** Every accepted interaction ends exactly once, with its record. */
  ended: [InteractionRecord];
  close: [];
};

/** Options of {@link createAcd}. */
export interface AcdOptions {
  clock?: import('../core/index.js').Clock;
  random?: Random;
  /** After a missed offer the agent rests this long before new offers (default 5 000 ms). */
  rejectDelayMs?: number;
  /** Consecutive missed offers after which the agent is paused with reason 'no-answer' (default 3). */
  maxMissedOffers?: number;
  /** Wrap-up that waits for a required disposition ends after this long anyway (default 300 000 ms). */
  maxWrapUpMs?: number;
  /** Window of the live statistics (default 1 800 000 ms = 30 min). */
  statsWindowMs?: number;
  /** Period of position announcements, SLA checks and opening-hours checks (default 5 000 ms). */
  tickMs?: number;
  /** Extra strategies by name, beside the built-ins. */
  strategies?: Readonly<Record<string, StrategyDefinition | Strategy>>;
}

export type { BusinessHours };
