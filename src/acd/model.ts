/**
 * Internal records of the ACD: queues, agents, interactions and the entries that place
 * an interaction in a queue's priority buckets. Not exported from the unit.
 */
import { type ClockTimer, type HeapSlot, IndexedHeap, type Random } from '../core/index.js';
import { RollingStats } from './rolling-stats.js';
import type {
  AgentCandidate,
  AgentState,
  AttributeValue,
  DispositionConfig,
  InteractionKind,
  InteractionState,
  OverflowAction,
  OverflowRule,
  QueueConfig,
  ServiceLevelConfig,
  SkillRequirement,
  StrategyContext,
  StrategyDefinition,
} from './types.js';

/** A skill requirement compiled to interned skill ids. */
export interface CompiledRequirement {
  names: string[];
  ids: number[];
  mins: number[];
  /** Canonical text, the bucket key. */
  sig: string;
}

/** A relaxation ring compiled cumulatively. */
export interface CompiledRing {
  afterMs: number;
  lowerBy: number;
  dropAll: boolean;
  drop: Set<string>;
}

/** A requirement at one relaxation level. */
export interface Level {
  ids: number[];
  mins: number[];
  requirement: Required<SkillRequirement>[];
}

export interface Membership {
  order: number;
  weight: number | undefined;
}

export class Bucket {
  readonly heap = new IndexedHeap<Entry>(entryBefore);
  listIndex = -1;
  /** Upper bound of the effective enqueue times in the heap (lets rank counting skip whole buckets). */
  maxEffEnq = Number.NEGATIVE_INFINITY;
  constructor(
    readonly queue: QueueRec,
    readonly priority: number,
    readonly sig: string,
    readonly levels: Level[],
  ) {}
}

/** One interaction waiting (or able to wait) in one queue. */
export class Entry implements HeapSlot {
  heapIndex = -1;
  bucket: Bucket | null = null;
  priority = 0;
  effEnq = 0;
  level = 0;
  insertedAt = 0;
  applied: Set<OverflowRule> | null = null;
  constructor(
    readonly ix: Ix,
    readonly queue: QueueRec,
  ) {}
}

/** Within one bucket (same queue and priority): earlier effective enqueue first, then arrival order. */
function entryBefore(a: Entry, b: Entry): boolean {
  return a.effEnq < b.effEnq || (a.effEnq === b.effEnq && a.ix.seq < b.ix.seq);
}

/**
 * The global order: higher priority, then longer effective wait, then the queue more at
 * risk of missing its service level, then arrival order.
 */
export function entryBeforeGlobal(a: Entry, b: Entry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.effEnq !== b.effEnq) return a.effEnq < b.effEnq;
  if (a.queue.risk !== b.queue.risk) return a.queue.risk > b.queue.risk;
  return a.ix.seq < b.ix.seq;
}

export interface CallbackState {
  number: string;
  attempts: number;
  maxAttempts: number;
  retryDelayMs: number;
  notBefore: number | undefined;
  notAfter: number | undefined;
  /** Clock ms before which the callback must not be offered again (retry delay). */
  retryAt: number;
  timer: ClockTimer | null;
}

export class Ix {
  state: InteractionState = 'waiting';
  readonly entries: Entry[] = [];
  group: OfferGroup | null = null;
  agent: AgentRec | null = null;
  servedVia: QueueRec | null = null;
  answeredAt: number | undefined;
  answeredOfferAt = 0;
  hungUpAt: number | undefined;
  disposition: string | undefined;
  announced = Number.POSITIVE_INFINITY;
  timer: ClockTimer | null = null;
  cb: CallbackState | null = null;
  offerCount = 0;
  callbackCalls = 0;
  wrap: WrapUp | null = null;
  /** Scratch for the tick: rank and EWT, valid when tickStamp matches. */
  tickStamp = -1;
  tickRank = 0;
  tickEwt = 0;
  inWork = false;
  /** Ended: no longer in the ACD. */
  done = false;
  constructor(
    readonly id: string,
    readonly seq: number,
    public kind: InteractionKind,
    public home: QueueRec,
    readonly callerId: string | undefined,
    public basePriority: number,
    readonly req: CompiledRequirement,
    readonly skills: Required<SkillRequirement>[],
    readonly attributes: Readonly<Record<string, AttributeValue>>,
    readonly enqueuedAt: number,
  ) {}

  /** Priority as strategies see it (the home queue's plus the interaction's own). */
  get priority(): number {
    return this.home.priority + this.basePriority;
  }

  entryIn(q: QueueRec): Entry | undefined {
    for (const e of this.entries) if (e.queue === q) return e;
    return undefined;
  }
}

export class OfferGroup {
  readonly offers: Offer[] = [];
  timer: ClockTimer | null = null;
  constructor(
    readonly ix: Ix,
    readonly queue: QueueRec,
    readonly offerAll: boolean,
  ) {}
}

export class Offer {
  stage: 'reserved' | 'ringing' = 'reserved';
  constructor(
    readonly agent: AgentRec,
    readonly group: OfferGroup,
    readonly at: number,
  ) {}
}

export interface WrapUp {
  ix: Ix;
  timer: ClockTimer | null;
  startedAt: number;
}

export interface Pause {
  reason: string;
  /** An automatic rest after a missed offer; ends by itself and does not count as unstaffed. */
  auto: boolean;
  timer: ClockTimer | null;
}

export class AgentRec implements AgentCandidate {
  name: string | undefined;
  skills = new Map<string, number>();
  prof: number[] = [];
  readonly memberships = new Map<QueueRec, Membership>();
  capacity = 1;
  weight = 1;
  loggedIn = false;
  logoutPending = false;
  pause: Pause | null = null;
  offer: Offer | null = null;
  readonly active: Ix[] = [];
  readonly wrapUps: WrapUp[] = [];
  handled = 0;
  talkTimeMs = 0;
  missed = 0;
  consecutiveMisses = 0;
  idleSince = 0;
  lastOfferAt = Number.NEGATIVE_INFINITY;
  state: AgentState = 'logged-out';
  stateReason: string | undefined;
  stateSince: number;
  offerable = false;
  countedLoggedIn = false;
  countedStaffed = false;
  inWork = false;
  constructor(
    readonly id: string,
    now: number,
  ) {
    this.stateSince = now;
  }

  get load(): number {
    return this.active.length + (this.offer ? 1 : 0);
  }

  proficiency(skill: string): number {
    return this.skills.get(skill) ?? 0;
  }
}

export interface WaitRule {
  waitMs: number;
  rule: OverflowRule;
}

export interface QueueSettings {
  name: string | undefined;
  strategy: StrategyDefinition;
  strategyName: string;
  priority: number;
  waitOffsetMs: number;
  skills: Required<SkillRequirement>[];
  rings: CompiledRing[];
  sl: ServiceLevelConfig;
  maxWaitMs: number;
  maxLength: number;
  wrapUpMs: number;
  offerTimeoutMs: number;
  waitRules: WaitRule[];
  riskActions: OverflowAction[];
  fullTarget: string | undefined;
  joinWhenEmpty: boolean;
  leaveWhenEmpty: boolean;
  emptyWhen: 'no-agents-logged-in' | 'no-agents-unpaused';
  isOpen: ((wallMs: number) => boolean) | null;
  dispositions: DispositionConfig | undefined;
  ahtMs: number;
  callbackMaxAttempts: number;
  callbackRetryDelayMs: number;
  config: QueueConfig;
}

export class QueueRec implements StrategyContext {
  s: QueueSettings;
  readonly bucketMap = new Map<number, Map<string, Bucket>>();
  readonly buckets: Bucket[] = [];
  readonly members = new Map<AgentRec, Membership>();
  readonly available = new Set<AgentRec>();
  readonly parked = new Set<Ix>();
  /** Interactions of this queue (home) being offered: still waiting from the caller's side. */
  readonly offering = new Set<Ix>();
  waiting = 0;
  loggedIn = 0;
  staffed = 0;
  /** Σ over staffed members of 1 / (number of queues the agent serves): the agents this queue can count on. */
  staffShare = 0;
  /** Staffed members that also serve other queues (0: a dedicated pool, where Erlang's model fits). */
  sharedStaffed = 0;
  /** Since when the line has been non-empty (for the backlog time). */
  backlogMark = 0;
  nextOrder = 0;
  risk = 0;
  atRisk = false;
  projected: number | undefined;
  extras: Array<{ skill: string; min: number }> = [];
  open = true;
  readonly stats: RollingStats;
  // StrategyContext
  now = 0;
  readonly memory: Record<string, unknown> = {};
  requirement: readonly Required<SkillRequirement>[] = [];
  constructor(
    readonly id: string,
    s: QueueSettings,
    readonly random: Random,
    statsWindowMs: number,
    now: number,
  ) {
    this.s = s;
    this.stats = new RollingStats(statsWindowMs, now);
  }

  get queueId(): string {
    return this.id;
  }

  get priority(): number {
    return this.s.priority;
  }

  order(agent: AgentCandidate): number {
    return this.members.get(agent as AgentRec)?.order ?? Number.MAX_SAFE_INTEGER;
  }

  weight(agent: AgentCandidate): number {
    return this.members.get(agent as AgentRec)?.weight ?? (agent as AgentRec).weight ?? 1;
  }

  /** Relaxation level (number of rings passed) after waiting `waitMs`. */
  levelAt(waitMs: number): number {
    const rings = this.s.rings;
    let l = 0;
    while (l < rings.length && (rings[l] as CompiledRing).afterMs <= waitMs) l++;
    return l;
  }
}
