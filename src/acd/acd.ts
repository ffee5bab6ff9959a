/**
 * The ACD: queues, agents and interactions driven by the switch (arrivals, abandons,
 * agent actions) and by an injected Clock (offer timeouts, reject delays, wrap-up,
 * relaxation rings, overflow, SLA checks, callback windows). It knows nothing of SIP or
 * media: everything is an opaque id. See docs/acd.md.
 *
 * Scheduling. Waiting interactions sit in per-queue buckets keyed by (priority, required
 * skills); each bucket is a heap ordered by effective enqueue time, so the head of a
 * bucket is its longest-waiting and — relaxation rings being a function of wait — its
 * most relaxed interaction: if an agent cannot take the head it can take none of the
 * bucket. When an agent frees up, the scheduler looks only at the heads of the buckets
 * of the agent's queues and takes the best by the global order (priority → longest
 * effective wait → SLA risk → arrival). When an interaction arrives (or a relaxation
 * ring or overflow widens it), it looks only at the free members of its queues and lets
 * the queue's strategy rank them. The scheduler keeps the invariant that no waiting
 * interaction has a free agent able to take it, so the two directions never disagree.
 *
 * Re-entrancy. Events are queued while a call runs and delivered after the state change
 * is complete; a listener may call back into the ACD (answer from inside `offer`).
 */
import {
  type Clock,
  type ClockTimer,
  cryptoRandom,
  type Random,
  realClock,
  TypedEmitter,
} from '../core/index.js';
import { compileBusinessHours } from './business-hours.js';
import { conditionalWait, erlangCServiceLevel } from './erlang.js';
import { AcdError, check, isId, isNonNegativeFinite, isPositiveFinite } from './errors.js';
import {
  AgentRec,
  Bucket,
  type CompiledRequirement,
  type CompiledRing,
  Entry,
  entryBeforeGlobal,
  Ix,
  type Level,
  type Membership,
  Offer,
  OfferGroup,
  type Pause,
  QueueRec,
  type QueueSettings,
  type WaitRule,
  type WrapUp,
} from './model.js';
import {
  F_ABANDONED,
  F_ABANDONED_LATE,
  F_ANSWERED,
  F_ARRIVALS,
  F_BACKLOG_MS,
  F_CALLBACKS_ANSWERED,
  F_DEPARTURES,
  F_HANDLE_COUNT,
  F_HANDLE_SUM,
  F_MET,
  F_WAIT_ALL,
  F_WAIT_ANSWERED,
} from './rolling-stats.js';
import { BUILT_IN_STRATEGIES } from './strategies.js';
import type {
  AcdEvents,
  AcdOptions,
  AgentConfig,
  AgentState,
  AgentView,
  CallbackRequest,
  EnqueueResult,
  InteractionOutcome,
  InteractionRecord,
  InteractionRequest,
  InteractionView,
  OverflowAction,
  OverflowRule,
  QueueConfig,
  QueueStats,
  SkillRequirement,
  SlaEvent,
  Strategy,
  StrategyDefinition,
  WithdrawReason,
} from './types.js';

/** Defaults of {@link AcdOptions}. */
export const ACD_DEFAULTS = Object.freeze({
  rejectDelayMs: 5_000,
  maxMissedOffers: 3,
  maxWrapUpMs: 300_000,
  statsWindowMs: 1_800_000,
  tickMs: 5_000,
});

/** Defaults of {@link QueueConfig}. */
export const QUEUE_DEFAULTS = Object.freeze({
  strategy: 'longest-idle',
  priority: 0,
  waitOffsetMs: 0,
  serviceLevel: Object.freeze({ thresholdMs: 20_000, target: 0.8, leadMs: 60_000, minCalls: 10 }),
  maxWaitMs: Number.POSITIVE_INFINITY,
  maxLength: Number.POSITIVE_INFINITY,
  wrapUpMs: 0,
  offerTimeoutMs: 15_000,
  joinWhenEmpty: true,
  leaveWhenEmpty: false,
  emptyWhen: 'no-agents-unpaused' as const,
  ahtMs: 180_000,
  callbackMaxAttempts: 3,
  callbackRetryDelayMs: 300_000,
});

/**
 * The agent state chart: state → states it may move to. A state may also "move" to
 * itself when only the pause reason changes (a pause requested while busy).
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = Object.freeze({
  'logged-out': ['available', 'paused'],
  available: ['reserved', 'paused', 'logged-out'],
  reserved: ['ringing', 'busy', 'available', 'paused', 'wrap-up', 'logged-out', 'reserved'],
  ringing: ['busy', 'available', 'paused', 'wrap-up', 'logged-out', 'ringing'],
  busy: ['wrap-up', 'available', 'paused', 'logged-out', 'reserved', 'busy'],
  'wrap-up': ['available', 'paused', 'logged-out', 'wrap-up'],
  paused: ['available', 'logged-out', 'paused'],
});

/** Pause reason set automatically after a missed offer; lifts itself after `rejectDelayMs`. */
export const PAUSE_REJECT_DELAY = 'reject-delay';
/** Pause reason set after `maxMissedOffers` consecutive misses; only `unpause` lifts it. */
export const PAUSE_NO_ANSWER = 'no-answer';

const AHT_PRIOR_WEIGHT = 3;
/** Weight, in departures, of the staffing model when a shared line's rate is measured. */
const RATE_PRIOR_DEPARTURES = 1;
const NO_ATTRIBUTES: Readonly<Record<string, never>> = Object.freeze({});

type EventName = keyof AcdEvents;

/** Creates an ACD. Synchronous: it owns no I/O, only timers on the injected clock. */
export function createAcd(options: AcdOptions = {}): Acd {
  return new Acd(options);
}

export class Acd extends TypedEmitter<AcdEvents> {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #rejectDelayMs: number;
  readonly #maxMissed: number;
  readonly #maxWrapUpMs: number;
  readonly #statsWindowMs: number;
  readonly #strategies = new Map<string, StrategyDefinition>();
  readonly #queues = new Map<string, QueueRec>();
  readonly #agents = new Map<string, AgentRec>();
  readonly #ixs = new Map<string, Ix>();
  readonly #callbacks = new Set<Ix>();
  readonly #skillIds = new Map<string, number>();
  readonly #agentsBySkill = new Map<string, Set<AgentRec>>();
  readonly #extraQueues: QueueRec[] = [];
  readonly #queueReqs = new WeakMap<QueueSettings, CompiledRequirement>();
  #seq = 0;
  #closed = false;
  readonly #tickTimer: ClockTimer;
  #tickStamp = 0;
  // work and event queues
  #depth = 0;
  #settling = false;
  readonly #agentWork: AgentRec[] = [];
  readonly #ixWork: Ix[] = [];
  readonly #emptyChecks = new Set<QueueRec>();
  readonly #evNames: EventName[] = [];
  readonly #evArgs: unknown[] = [];
  #evHead = 0;
  // scratch
  readonly #cands: AgentRec[] = [];
  readonly #sortScratch: Entry[] = [];
  readonly #touched: Ix[] = [];

  constructor(options: AcdOptions = {}) {
    super();
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? cryptoRandom;
    const o = { ...ACD_DEFAULTS, ...stripUndefined(options) };
    check(isNonNegativeFinite(o.rejectDelayMs), 'rejectDelayMs', 'a finite number >= 0');
    check(
      Number.isInteger(o.maxMissedOffers) && o.maxMissedOffers >= 0,
      'maxMissedOffers',
      'an integer >= 0',
    );
    check(isPositiveFinite(o.maxWrapUpMs), 'maxWrapUpMs', 'a finite number > 0');
    check(isPositiveFinite(o.statsWindowMs), 'statsWindowMs', 'a finite number > 0');
    check(isPositiveFinite(o.tickMs), 'tickMs', 'a finite number > 0');
    this.#rejectDelayMs = o.rejectDelayMs;
    this.#maxMissed = o.maxMissedOffers;
    this.#maxWrapUpMs = o.maxWrapUpMs;
    this.#statsWindowMs = o.statsWindowMs;
    for (const [name, def] of Object.entries(BUILT_IN_STRATEGIES)) this.#strategies.set(name, def);
    for (const [name, def] of Object.entries(options.strategies ?? {})) this.registerStrategy(name, def);
    this.#tickTimer = this.#clock.setInterval(() => this.#run(() => this.#tick()), o.tickMs);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops every timer; later calls throw ERR_CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tickTimer.cancel();
    for (const ix of this.#ixs.values()) {
      ix.timer?.cancel();
      ix.cb?.timer?.cancel();
      ix.group?.timer?.cancel();
      ix.wrap?.timer?.cancel();
    }
    for (const a of this.#agents.values()) a.pause?.timer?.cancel();
    this.safeEmit('close');
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /** Registers a strategy (a ranking function, or one with `offerAll`) under `name`. */
  registerStrategy(name: string, strategy: Strategy | StrategyDefinition): void {
    this.#assertOpen();
    check(isId(name), 'strategy name', 'a non-empty string');
    const def: StrategyDefinition = typeof strategy === 'function' ? { rank: strategy } : strategy;
    check(
      typeof def?.rank === 'function',
      `strategy ${JSON.stringify(name)}`,
      'a function or { rank: function }',
    );
    this.#strategies.set(name, { rank: def.rank, offerAll: def.offerAll === true });
  }

  /** Names of the registered strategies (built-ins and your own). */
  strategies(): string[] {
    return [...this.#strategies.keys()];
  }

  addQueue(config: QueueConfig): void {
    this.#run(() => {
      check(typeof config === 'object' && config !== null, 'queue config', 'an object');
      check(isId(config.id), 'queue.id', 'a non-empty string');
      if (this.#queues.has(config.id)) {
        throw new AcdError('ERR_INVALID_STATE', `queue ${config.id} already exists`, { queueId: config.id });
      }
      const s = this.#compileQueue(config);
      const q = new QueueRec(config.id, s, this.#random, this.#statsWindowMs, this.#clock.now());
      q.open = s.isOpen ? s.isOpen(this.#clock.wallTime()) : true;
      this.#queues.set(q.id, q);
    });
  }

  /** Changes a queue's configuration; waiting callers keep their place. */
  updateQueue(id: string, patch: Partial<Omit<QueueConfig, 'id'>>): void {
    this.#run(() => {
      const q = this.#queue(id);
      const s = this.#compileQueue({ ...q.s.config, ...patch, id });
      const waiting: Ix[] = [];
      for (const b of [...q.buckets]) for (const e of [...b.heap.items]) waiting.push(e.ix);
      for (const ix of waiting) {
        const e = ix.entryIn(q);
        if (e) this.#removeEntry(e);
      }
      q.s = s;
      this.#setExtras(q, q.atRisk);
      this.#checkHours(q);
      for (const ix of waiting) {
        const e = ix.entryIn(q);
        if (e && ix.state === 'waiting') this.#insertEntry(e);
        this.#pushIx(ix);
      }
      for (const a of q.members.keys()) this.#pushAgent(a);
    });
  }

  /** Removes a queue; refused while interactions wait in it. Members lose the membership. */
  removeQueue(id: string): void {
    this.#run(() => {
      const q = this.#queue(id);
      for (const ix of this.#ixs.values()) {
        if (ix.home === q || ix.entryIn(q)) {
          throw new AcdError('ERR_INVALID_STATE', `queue ${id} still has interaction ${ix.id}`, {
            queueId: id,
            interactionId: ix.id,
          });
        }
      }
      for (const a of [...q.members.keys()]) {
        this.#uncount(a);
        a.memberships.delete(q);
        q.members.delete(a);
        this.#refresh(a);
      }
      this.#setExtras(q, false);
      this.#queues.delete(id);
    });
  }

  /** Ids of the configured queues. */
  queues(): string[] {
    return [...this.#queues.keys()];
  }

  /** The configuration a queue was given. */
  queueConfig(id: string): QueueConfig {
    return this.#queue(id).s.config;
  }

  addAgent(config: AgentConfig): void {
    this.#run(() => {
      check(typeof config === 'object' && config !== null, 'agent config', 'an object');
      check(isId(config.id), 'agent.id', 'a non-empty string');
      if (this.#agents.has(config.id)) {
        throw new AcdError('ERR_INVALID_STATE', `agent ${config.id} already exists`, { agentId: config.id });
      }
      const a = new AgentRec(config.id, this.#clock.now());
      this.#applyAgentConfig(a, config);
      this.#agents.set(a.id, a);
      this.#refresh(a);
    });
  }

  /** Changes an agent's skills, queues, capacity or weight; takes effect for the next decision. */
  updateAgent(id: string, patch: Partial<Omit<AgentConfig, 'id'>>): void {
    this.#run(() => {
      const a = this.#agent(id);
      this.#applyAgentConfig(a, { ...this.#agentConfigOf(a), ...patch, id });
      this.#refresh(a);
      this.#pushAgent(a);
    });
  }

  /** Removes a logged-out agent. */
  removeAgent(id: string): void {
    this.#run(() => {
      const a = this.#agent(id);
      if (a.loggedIn) throw new AcdError('ERR_INVALID_STATE', `agent ${id} is logged in`, { agentId: id });
      this.#uncount(a);
      for (const q of a.memberships.keys()) q.members.delete(a);
      for (const name of a.skills.keys()) this.#agentsBySkill.get(name)?.delete(a);
      this.#agents.delete(id);
    });
  }

  // ───────────────────────────── interactions ─────────────────────────────

  /**
   * A caller (or a scheduled callback) joins a queue. Returns the initial position and
   * estimated wait, or why it was turned away (closed, full, empty) — a normal outcome,
   * not an error.
   */
  enqueue(request: InteractionRequest): EnqueueResult {
    return this.#run(() => this.#enqueue(request, 0));
  }

  /** The caller hung up while waiting or while an agent was being offered the call. */
  abandon(interactionId: string): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      if (ix.kind !== 'call' || (ix.state !== 'waiting' && ix.state !== 'offered')) {
        throw new AcdError('ERR_INVALID_STATE', `interaction ${ix.id} is ${ix.state}, not a waiting call`, {
          interactionId,
        });
      }
      const now = this.#clock.now();
      this.#withdrawAll(ix, 'abandoned');
      const wait = now - ix.enqueuedAt;
      const st = ix.home.stats;
      st.add(now, F_ABANDONED);
      st.add(now, F_WAIT_ALL, wait);
      if (wait > ix.home.s.sl.thresholdMs) st.add(now, F_ABANDONED_LATE);
      this.#post('abandoned', () => ({ interactionId: ix.id, queueId: ix.home.id, waitMs: wait, at: now }));
      this.#finish(ix, 'abandoned', undefined);
    });
  }

  /** Takes a waiting, held or offered interaction out without counting an abandon (e.g. IVR exit). */
  remove(interactionId: string, reason = 'removed'): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      if (ix.state === 'connected' || ix.state === 'wrap-up') {
        throw new AcdError('ERR_INVALID_STATE', `interaction ${ix.id} is ${ix.state}; hang it up instead`, {
          interactionId,
        });
      }
      this.#withdrawAll(ix, 'removed');
      this.#finish(ix, 'removed', reason);
    });
  }

  /** Changes a waiting interaction's priority (its enqueue time, hence its place among equals, is kept). */
  setPriority(interactionId: string, priority: number): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      check(Number.isFinite(priority), 'priority', 'a finite number');
      const wasWaiting = ix.state === 'waiting';
      if (wasWaiting) this.#removeAll(ix);
      ix.basePriority = priority;
      if (wasWaiting) {
        this.#insertAll(ix);
        this.#pushIx(ix);
      }
    });
  }

  /**
   * The caller leaves the line but keeps their place: the interaction becomes a
   * callback with its original enqueue time, offered to an agent when its turn comes.
   */
  requestCallback(interactionId: string, request: CallbackRequest = {}): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      if (ix.kind !== 'call' || (ix.state !== 'waiting' && ix.state !== 'offered')) {
        throw new AcdError('ERR_INVALID_STATE', `interaction ${ix.id} is not a waiting call`, {
          interactionId,
        });
      }
      const cb = this.#compileCallback(request, ix.home, ix.callerId);
      if (ix.state === 'offered') {
        this.#withdrawAll(ix, 'removed');
        ix.state = 'waiting';
        this.#insertAll(ix);
      }
      ix.kind = 'callback';
      ix.cb = cb;
      this.#callbacks.add(ix);
      this.#post('callbackScheduled', () => ({
        interactionId: ix.id,
        queueId: ix.home.id,
        number: cb.number,
        at: this.#clock.now(),
      }));
      if (!this.#callbackReady(ix)) this.#park(ix);
      else this.#pushIx(ix);
      this.#timeRules(ix);
    });
  }

  /**
   * Reports the outside leg of a callback after the agent answered: 'connected' (the
   * customer picked up; continue as a call) or a failure, which frees the agent and
   * retries after the retry delay until the attempts run out.
   */
  callbackResult(interactionId: string, outcome: 'connected' | 'no-answer' | 'busy' | 'failed'): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      const cb = ix.cb;
      if (!cb || ix.state !== 'connected') {
        throw new AcdError('ERR_INVALID_STATE', `interaction ${ix.id} is not a connected callback`, {
          interactionId,
        });
      }
      check(
        ['connected', 'no-answer', 'busy', 'failed'].includes(outcome),
        'outcome',
        "'connected', 'no-answer', 'busy' or 'failed'",
      );
      cb.attempts++;
      if (outcome === 'connected') return;
      const a = ix.agent as AgentRec;
      removeItem(a.active, ix);
      ix.agent = null;
      ix.servedVia = null;
      ix.answeredAt = undefined;
      this.#agentWorkDone(a);
      if (cb.attempts >= cb.maxAttempts) {
        this.#failCallback(ix, 'attempts-exhausted');
        return;
      }
      cb.retryAt = this.#clock.now() + cb.retryDelayMs;
      ix.state = 'waiting';
      this.#park(ix);
    });
  }

  /** The conversation ended (either side hung up): the agent goes to wrap-up or is free. */
  hangup(interactionId: string): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      if (ix.state !== 'connected') {
        throw new AcdError('ERR_INVALID_STATE', `interaction ${ix.id} is ${ix.state}, not connected`, {
          interactionId,
        });
      }
      const now = this.#clock.now();
      const a = ix.agent as AgentRec;
      removeItem(a.active, ix);
      a.talkTimeMs += now - (ix.answeredAt as number);
      ix.hungUpAt = now;
      const q = ix.servedVia ?? ix.home;
      const wrapMs = q.s.wrapUpMs > 0 ? q.s.wrapUpMs : q.s.dispositions?.required ? this.#maxWrapUpMs : 0;
      if (wrapMs > 0) {
        ix.state = 'wrap-up';
        const wrap: WrapUp = { ix, timer: null, startedAt: now };
        wrap.timer = this.#clock.setTimeout(() => this.#run(() => this.#endWrap(a, wrap, true)), wrapMs);
        ix.wrap = wrap;
        a.wrapUps.push(wrap);
        this.#refresh(a);
        return;
      }
      this.#handleSample(ix, now);
      this.#agentWorkDone(a);
      this.#finish(ix, 'completed', undefined);
    });
  }

  /** Records a wrap-up code for a connected or wrapping-up interaction. */
  setDisposition(interactionId: string, disposition: string): void {
    this.#run(() => {
      const ix = this.#ix(interactionId);
      if (ix.state !== 'connected' && ix.state !== 'wrap-up') {
        throw new AcdError(
          'ERR_INVALID_STATE',
          `interaction ${ix.id} is ${ix.state}; dispositions apply once answered`,
          {
            interactionId,
          },
        );
      }
      this.#checkDisposition(ix, disposition);
      ix.disposition = disposition;
    });
  }

  /**
   * The agent finished wrap-up (of `interactionId`, default the oldest), optionally with
   * the disposition; refused without one when the queue requires it.
   */
  completeWrapUp(agentId: string, options: { interactionId?: string; disposition?: string } = {}): void {
    this.#run(() => {
      const a = this.#agent(agentId);
      const wrap = options.interactionId
        ? a.wrapUps.find((w) => w.ix.id === options.interactionId)
        : a.wrapUps[0];
      if (!wrap) {
        throw new AcdError(
          'ERR_INVALID_STATE',
          `agent ${agentId} has no wrap-up${options.interactionId ? ` for ${options.interactionId}` : ''}`,
          { agentId, interactionId: options.interactionId },
        );
      }
      const ix = wrap.ix;
      if (options.disposition !== undefined) this.#checkDisposition(ix, options.disposition);
      const code = options.disposition ?? ix.disposition;
      const q = ix.servedVia ?? ix.home;
      if (q.s.dispositions?.required && code === undefined) {
        throw new AcdError('ERR_INVALID_ARGUMENT', `queue ${q.id} requires a disposition to finish wrap-up`, {
          agentId,
          interactionId: ix.id,
          queueId: q.id,
        });
      }
      ix.disposition = code;
      this.#endWrap(a, wrap, false);
    });
  }

  // ───────────────────────────── agents ─────────────────────────────

  login(agentId: string, options: { pauseReason?: string } = {}): void {
    this.#run(() => {
      const a = this.#agent(agentId);
      if (a.loggedIn && !a.logoutPending) {
        throw new AcdError('ERR_INVALID_STATE', `agent ${agentId} is already logged in`, { agentId });
      }
      if (options.pauseReason !== undefined)
        check(isId(options.pauseReason), 'pauseReason', 'a non-empty string');
      if (a.logoutPending) {
        a.logoutPending = false;
      } else {
        a.loggedIn = true;
        a.handled = 0;
        a.talkTimeMs = 0;
        a.missed = 0;
        a.consecutiveMisses = 0;
      }
      if (options.pauseReason !== undefined)
        this.#setPause(a, { reason: options.pauseReason, auto: false, timer: null });
      this.#refresh(a);
    });
  }

  /**
   * Logs an agent out. A pending offer is withdrawn (the caller keeps their place); with
   * interactions still connected or in wrap-up the logout waits for them, unless `force`
   * (the agent's device is gone): then they end at once without wrap-up.
   */
  logout(agentId: string, options: { force?: boolean } = {}): void {
    this.#run(() => {
      const a = this.#agent(agentId);
      if (!a.loggedIn)
        throw new AcdError('ERR_INVALID_STATE', `agent ${agentId} is not logged in`, { agentId });
      if (a.offer) this.#withdrawOffer(a.offer, 'logout', false);
      if (options.force) {
        const now = this.#clock.now();
        for (const ix of [...a.active]) {
          removeItem(a.active, ix);
          a.talkTimeMs += now - (ix.answeredAt as number);
          ix.hungUpAt = now;
          this.#handleSample(ix, now);
          this.#finish(ix, 'completed', 'agent-logout');
        }
        for (const w of [...a.wrapUps]) this.#endWrap(a, w, true);
      }
      if (a.active.length > 0 || a.wrapUps.length > 0) {
        a.logoutPending = true;
        this.#refresh(a);
        return;
      }
      this.#completeLogout(a);
    });
  }

  /** Pauses an agent with a reason code; while busy the pause waits for the interaction to end. */
  pause(agentId: string, reason = 'break'): void {
    this.#run(() => {
      const a = this.#agent(agentId);
      check(isId(reason), 'reason', 'a non-empty string');
      if (!a.loggedIn)
        throw new AcdError('ERR_INVALID_STATE', `agent ${agentId} is not logged in`, { agentId });
      this.#setPause(a, { reason, auto: false, timer: null });
      this.#refresh(a);
    });
  }

  unpause(agentId: string): void {
    this.#run(() => {
      const a = this.#agent(agentId);
      if (!a.loggedIn || !a.pause)
        throw new AcdError('ERR_INVALID_STATE', `agent ${agentId} is not paused`, { agentId });
      this.#setPause(a, null);
      a.consecutiveMisses = 0;
      this.#refresh(a);
    });
  }

  /** The switch reports that the offered agent's device is ringing (reserved → ringing). */
  ringing(agentId: string, interactionId: string): void {
    this.#run(() => {
      const o = this.#offerOf(agentId, interactionId);
      o.stage = 'ringing';
      this.#refresh(o.agent);
    });
  }

  /** The agent accepted the offer (answered). In a ring-all round the other offers are withdrawn. */
  answer(agentId: string, interactionId: string): void {
    this.#run(() => {
      const o = this.#offerOf(agentId, interactionId);
      const now = this.#clock.now();
      const group = o.group;
      const ix = group.ix;
      const a = o.agent;
      group.timer?.cancel();
      for (const other of [...group.offers])
        if (other !== o) this.#withdrawOffer(other, 'answered-elsewhere');
      group.offers.length = 0;
      a.offer = null;
      ix.group = null;
      ix.home.offering.delete(ix);
      ix.timer?.cancel();
      ix.timer = null;
      ix.state = 'connected';
      ix.agent = a;
      ix.servedVia = group.queue;
      ix.answeredAt = now;
      ix.answeredOfferAt = o.at;
      a.active.push(ix);
      a.handled++;
      a.consecutiveMisses = 0;
      const wait = now - ix.enqueuedAt;
      const st = ix.home.stats;
      if (ix.kind === 'call') {
        st.add(now, F_ANSWERED);
        st.add(now, F_WAIT_ANSWERED, wait);
        st.add(now, F_WAIT_ALL, wait);
        if (wait <= ix.home.s.sl.thresholdMs) st.add(now, F_MET);
      } else {
        st.add(now, F_CALLBACKS_ANSWERED);
        ix.callbackCalls++;
      }
      this.#refresh(a);
      this.#post('connected', () => ({
        interactionId: ix.id,
        agentId: a.id,
        queueId: group.queue.id,
        kind: ix.kind,
        waitMs: wait,
        at: now,
      }));
    });
  }

  /**
   * The agent declined or did not answer the offer. Counts as a miss: the agent rests for
   * `rejectDelayMs` (paused 'reject-delay'), or is paused 'no-answer' after
   * `maxMissedOffers` in a row. The interaction goes back to its place.
   */
  reject(agentId: string, interactionId: string): void {
    this.#run(() => {
      const o = this.#offerOf(agentId, interactionId);
      const group = o.group;
      removeItem(group.offers, o);
      o.agent.offer = null;
      this.#miss(o.agent);
      this.#refresh(o.agent);
      if (group.offers.length === 0) {
        group.timer?.cancel();
        this.#returnToQueue(group.ix);
      }
    });
  }

  // ───────────────────────────── read models ─────────────────────────────

  agent(agentId: string): AgentView {
    return this.#agentView(this.#agent(agentId));
  }

  agents(): AgentView[] {
    return [...this.#agents.values()].map((a) => this.#agentView(a));
  }

  interaction(interactionId: string): InteractionView {
    return this.#ixView(this.#ix(interactionId));
  }

  /** Every interaction the ACD holds (waiting, held, offered, connected or in wrap-up). */
  interactions(): InteractionView[] {
    return [...this.#ixs.values()].map((ix) => this.#ixView(ix));
  }

  has(interactionId: string): boolean {
    return this.#ixs.has(interactionId);
  }

  /** Live position (1 = next) of a waiting interaction, the best over the queues it waits in. */
  position(interactionId: string): number | undefined {
    const ix = this.#ix(interactionId);
    if (ix.state !== 'waiting') return undefined;
    let best: number | undefined;
    for (const e of ix.entries) {
      if (!e.bucket) continue;
      const r = this.#rank(e);
      if (best === undefined || r < best) best = r;
    }
    return best;
  }

  /** Estimated remaining wait in ms (0 once offered or connected; Infinity with nobody staffed). */
  estimatedWait(interactionId: string): number {
    const ix = this.#ix(interactionId);
    if (ix.state !== 'waiting' && ix.state !== 'parked') return 0;
    let best = Number.POSITIVE_INFINITY;
    for (const e of ix.entries) {
      if (!e.bucket) continue;
      best = Math.min(best, this.#ewtAt(e.queue, this.#rank(e)));
    }
    return best;
  }

  /** The interactions waiting in a queue in the order they will be served, for wallboards. */
  waiting(queueId: string): Array<{
    interactionId: string;
    kind: 'call' | 'callback';
    priority: number;
    position: number;
    waitMs: number;
    ewtMs: number;
  }> {
    const q = this.#queue(queueId);
    const now = this.#clock.now();
    return this.#sortedEntries(q).map((e, i) => ({
      interactionId: e.ix.id,
      kind: e.ix.kind,
      priority: e.priority,
      position: i + 1,
      waitMs: now - e.ix.enqueuedAt,
      ewtMs: this.#ewtAt(q, i + 1),
    }));
  }

  queueStats(queueId: string): QueueStats {
    const q = this.#queue(queueId);
    const now = this.#clock.now();
    const st = q.stats;
    const answered = st.get(now, F_ANSWERED);
    const met = st.get(now, F_MET);
    const abandoned = st.get(now, F_ABANDONED);
    const late = st.get(now, F_ABANDONED_LATE);
    let oldest = Number.POSITIVE_INFINITY;
    for (const b of q.buckets) {
      const top = b.heap.peek();
      if (top && top.ix.enqueuedAt < oldest) oldest = top.ix.enqueuedAt;
    }
    for (const ix of q.offering) if (ix.kind === 'call' && ix.enqueuedAt < oldest) oldest = ix.enqueuedAt;
    return {
      id: q.id,
      open: q.open,
      waiting: q.waiting,
      parkedCallbacks: q.parked.size,
      longestWaitMs: oldest === Number.POSITIVE_INFINITY ? 0 : now - oldest,
      loggedIn: q.loggedIn,
      staffed: q.staffed,
      available: q.available.size,
      offered: st.get(now, F_ARRIVALS),
      answered,
      abandoned,
      serviceLevel: answered + late > 0 ? met / (answered + late) : undefined,
      asaMs: answered > 0 ? st.get(now, F_WAIT_ANSWERED) / answered : undefined,
      abandonRate: answered + abandoned > 0 ? abandoned / (answered + abandoned) : undefined,
      ahtMs: this.#aht(q, now),
      projectedServiceLevel: q.projected,
      atRisk: q.atRisk,
      ewtMs: q.available.size > 0 ? 0 : this.#ewtAt(q, q.waiting + 1),
      callbacksAnswered: st.get(now, F_CALLBACKS_ANSWERED),
    };
  }

  // ───────────────────────────── internals: plumbing ─────────────────────────────

  #assertOpen(): void {
    if (this.#closed) throw new AcdError('ERR_CLOSED', 'the ACD is closed');
  }

  /** Runs one state change; the outermost call then dispatches and delivers events. */
  #run<T>(fn: () => T): T {
    this.#assertOpen();
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.#settle();
    }
  }

  #settle(): void {
    if (this.#settling) return;
    this.#settling = true;
    try {
      for (;;) {
        this.#pump();
        if (this.#evHead >= this.#evNames.length) break;
        const name = this.#evNames[this.#evHead] as EventName;
        const arg = this.#evArgs[this.#evHead];
        this.#evNames[this.#evHead] = undefined as unknown as EventName;
        this.#evArgs[this.#evHead] = undefined;
        this.#evHead++;
        (this.safeEmit as (n: EventName, a: unknown) => boolean)(name, arg);
      }
    } finally {
      this.#evNames.length = 0;
      this.#evArgs.length = 0;
      this.#evHead = 0;
      this.#settling = false;
    }
  }

  /** Queues an event; the payload is built only when someone listens. */
  #post<K extends EventName>(name: K, payload: () => AcdEvents[K][0]): void {
    if (this.listenerCount(name) === 0) return;
    this.#evNames.push(name);
    this.#evArgs.push(payload());
  }

  #pushAgent(a: AgentRec): void {
    if (a.inWork) return;
    a.inWork = true;
    this.#agentWork.push(a);
  }

  #pushIx(ix: Ix): void {
    if (ix.inWork) return;
    ix.inWork = true;
    this.#ixWork.push(ix);
  }

  /** Dispatches until nothing more can be matched: agents first, then interactions in global order. */
  #pump(): void {
    for (;;) {
      if (this.#agentWork.length > 0) {
        for (let i = 0; i < this.#agentWork.length; i++) {
          const a = this.#agentWork[i] as AgentRec;
          a.inWork = false;
          this.#dispatchAgent(a);
        }
        this.#agentWork.length = 0;
        continue;
      }
      if (this.#ixWork.length > 0) {
        const work = this.#ixWork;
        if (work.length > 1) work.sort(ixBefore);
        const ix = work.shift() as Ix;
        ix.inWork = false;
        this.#dispatchIx(ix);
        continue;
      }
      if (this.#emptyChecks.size > 0) {
        const qs = [...this.#emptyChecks];
        this.#emptyChecks.clear();
        for (const q of qs) this.#leaveIfEmpty(q);
        continue;
      }
      return;
    }
  }

  // ───────────────────────────── internals: lookups ─────────────────────────────

  #queue(id: string): QueueRec {
    const q = typeof id === 'string' ? this.#queues.get(id) : undefined;
    if (!q) throw new AcdError('ERR_ACD', `no queue ${JSON.stringify(id)}`, { queueId: String(id) });
    return q;
  }

  #agent(id: string): AgentRec {
    const a = typeof id === 'string' ? this.#agents.get(id) : undefined;
    if (!a) throw new AcdError('ERR_ACD', `no agent ${JSON.stringify(id)}`, { agentId: String(id) });
    return a;
  }

  #ix(id: string): Ix {
    const ix = typeof id === 'string' ? this.#ixs.get(id) : undefined;
    if (!ix)
      throw new AcdError('ERR_ACD', `no interaction ${JSON.stringify(id)}`, { interactionId: String(id) });
    return ix;
  }

  #offerOf(agentId: string, interactionId: string): Offer {
    const a = this.#agent(agentId);
    const o = a.offer;
    if (!o || o.group.ix.id !== interactionId) {
      throw new AcdError(
        'ERR_INVALID_STATE',
        `agent ${agentId} has no pending offer of ${interactionId}${o ? ` (offered ${o.group.ix.id})` : ''}`,
        { agentId, interactionId },
      );
    }
    return o;
  }

  #skillId(name: string): number {
    let id = this.#skillIds.get(name);
    if (id === undefined) {
      id = this.#skillIds.size;
      this.#skillIds.set(name, id);
    }
    return id;
  }

  // ───────────────────────────── internals: config ─────────────────────────────

  #compileQueue(c: QueueConfig): QueueSettings {
    const f = `queue ${c.id}`;
    let strategy: StrategyDefinition;
    let strategyName: string;
    if (typeof c.strategy === 'function') {
      strategy = { rank: c.strategy };
      strategyName = c.strategy.name || 'custom';
    } else {
      strategyName = c.strategy ?? QUEUE_DEFAULTS.strategy;
      const def = this.#strategies.get(strategyName);
      if (!def) {
        throw new AcdError(
          'ERR_INVALID_ARGUMENT',
          `${f}: strategy ${JSON.stringify(strategyName)} is not registered (have ${[...this.#strategies.keys()].join(', ')})`,
          { queueId: c.id },
        );
      }
      strategy = def;
    }
    const priority = c.priority ?? QUEUE_DEFAULTS.priority;
    check(Number.isFinite(priority), `${f}: priority`, 'a finite number');
    const waitOffsetMs = c.waitOffsetMs ?? QUEUE_DEFAULTS.waitOffsetMs;
    check(Number.isFinite(waitOffsetMs), `${f}: waitOffsetMs`, 'a finite number');
    const skills = compileSkills(c.skills ?? [], `${f}: skills`);
    const rings = compileRings(c.relaxation ?? [], `${f}: relaxation`);
    const sl = { ...QUEUE_DEFAULTS.serviceLevel, ...stripUndefined(c.serviceLevel ?? {}) };
    check(isNonNegativeFinite(sl.thresholdMs), `${f}: serviceLevel.thresholdMs`, 'a finite number >= 0');
    check(sl.target > 0 && sl.target <= 1, `${f}: serviceLevel.target`, 'in (0, 1]');
    check(isPositiveFinite(sl.leadMs), `${f}: serviceLevel.leadMs`, 'a finite number > 0');
    check(
      Number.isInteger(sl.minCalls) && sl.minCalls >= 0,
      `${f}: serviceLevel.minCalls`,
      'an integer >= 0',
    );
    const maxWaitMs = c.maxWaitMs ?? QUEUE_DEFAULTS.maxWaitMs;
    check(maxWaitMs > 0, `${f}: maxWaitMs`, '> 0');
    const maxLength = c.maxLength ?? QUEUE_DEFAULTS.maxLength;
    check(
      maxLength >= 0 && (Number.isInteger(maxLength) || maxLength === Number.POSITIVE_INFINITY),
      `${f}: maxLength`,
      'an integer >= 0',
    );
    const wrapUpMs = c.wrapUpMs ?? QUEUE_DEFAULTS.wrapUpMs;
    check(isNonNegativeFinite(wrapUpMs), `${f}: wrapUpMs`, 'a finite number >= 0');
    const offerTimeoutMs = c.offerTimeoutMs ?? QUEUE_DEFAULTS.offerTimeoutMs;
    check(isPositiveFinite(offerTimeoutMs), `${f}: offerTimeoutMs`, 'a finite number > 0');
    const waitRules: WaitRule[] = [];
    const riskActions: OverflowAction[] = [];
    let fullTarget: string | undefined;
    check(Array.isArray(c.overflow ?? []), `${f}: overflow`, 'an array of rules');
    (c.overflow ?? []).forEach((rule: OverflowRule, i: number) => {
      const rf = `${f}: overflow[${i}]`;
      check(typeof rule === 'object' && rule !== null, rf, 'an object { when, action }');
      checkAction(rule.action, `${rf}.action`, c.id);
      if (rule.when === 'sla-at-risk') riskActions.push(rule.action);
      else if (rule.when === 'full') {
        check(rule.action.type === 'queue', `${rf}.action`, "{ type: 'queue' } for when: 'full'");
        fullTarget = (rule.action as { queue: string }).queue;
      } else {
        check(
          typeof rule.when === 'object' && rule.when !== null && isNonNegativeFinite(rule.when.waitMs),
          `${rf}.when`,
          "{ waitMs: number >= 0 }, 'sla-at-risk' or 'full'",
        );
        check(
          rule.action.type !== 'add-agents',
          `${rf}.action`,
          "not 'add-agents' (a queue-level action; use when: 'sla-at-risk')",
        );
        waitRules.push({ waitMs: rule.when.waitMs, rule });
      }
    });
    waitRules.sort((a, b) => a.waitMs - b.waitMs);
    const joinWhenEmpty = c.joinWhenEmpty ?? QUEUE_DEFAULTS.joinWhenEmpty;
    const leaveWhenEmpty = c.leaveWhenEmpty ?? QUEUE_DEFAULTS.leaveWhenEmpty;
    check(typeof joinWhenEmpty === 'boolean', `${f}: joinWhenEmpty`, 'a boolean');
    check(typeof leaveWhenEmpty === 'boolean', `${f}: leaveWhenEmpty`, 'a boolean');
    const emptyWhen = c.emptyWhen ?? QUEUE_DEFAULTS.emptyWhen;
    check(
      emptyWhen === 'no-agents-logged-in' || emptyWhen === 'no-agents-unpaused',
      `${f}: emptyWhen`,
      "'no-agents-logged-in' or 'no-agents-unpaused'",
    );
    const isOpen = c.hours ? compileBusinessHours(c.hours, `${f}: hours`) : null;
    if (c.dispositions !== undefined) {
      check(
        typeof c.dispositions === 'object' &&
          Array.isArray(c.dispositions.codes) &&
          c.dispositions.codes.length > 0 &&
          c.dispositions.codes.every(isId),
        `${f}: dispositions.codes`,
        'a non-empty array of non-empty strings',
      );
    }
    const ahtMs = c.ahtMs ?? QUEUE_DEFAULTS.ahtMs;
    check(isPositiveFinite(ahtMs), `${f}: ahtMs`, 'a finite number > 0');
    const callbackMaxAttempts = c.callback?.maxAttempts ?? QUEUE_DEFAULTS.callbackMaxAttempts;
    const callbackRetryDelayMs = c.callback?.retryDelayMs ?? QUEUE_DEFAULTS.callbackRetryDelayMs;
    check(
      Number.isInteger(callbackMaxAttempts) && callbackMaxAttempts >= 1,
      `${f}: callback.maxAttempts`,
      'an integer >= 1',
    );
    check(isNonNegativeFinite(callbackRetryDelayMs), `${f}: callback.retryDelayMs`, 'a finite number >= 0');
    return {
      name: c.name,
      strategy,
      strategyName,
      priority,
      waitOffsetMs,
      skills,
      rings,
      sl,
      maxWaitMs,
      maxLength,
      wrapUpMs,
      offerTimeoutMs,
      waitRules,
      riskActions,
      fullTarget,
      joinWhenEmpty,
      leaveWhenEmpty,
      emptyWhen,
      isOpen,
      dispositions: c.dispositions,
      ahtMs,
      callbackMaxAttempts,
      callbackRetryDelayMs,
      config: Object.freeze({ ...c }),
    };
  }

  #applyAgentConfig(a: AgentRec, c: AgentConfig): void {
    const f = `agent ${c.id}`;
    const skills = new Map<string, number>();
    const raw = c.skills ?? {};
    check(typeof raw === 'object' && raw !== null, `${f}: skills`, 'an object { skill: proficiency }');
    for (const [name, p] of Object.entries(raw)) {
      check(name.length > 0, `${f}: skill name`, 'non-empty');
      check(Number.isInteger(p) && p >= 1 && p <= 5, `${f}: skills.${name}`, 'an integer proficiency 1–5');
      skills.set(name, p);
    }
    const capacity = c.maxConcurrent ?? 1;
    check(Number.isInteger(capacity) && capacity >= 1, `${f}: maxConcurrent`, 'an integer >= 1');
    const weight = c.weight ?? 1;
    check(isNonNegativeFinite(weight), `${f}: weight`, 'a finite number >= 0');
    const memberships = new Map<QueueRec, Membership>();
    check(Array.isArray(c.queues ?? []), `${f}: queues`, 'an array');
    for (const m of c.queues ?? []) {
      const qid = typeof m === 'string' ? m : m?.queue;
      const q = this.#queue(qid as string);
      const order = typeof m === 'string' ? undefined : m.order;
      const w = typeof m === 'string' ? undefined : m.weight;
      if (order !== undefined) check(Number.isFinite(order), `${f}: queues[${qid}].order`, 'a finite number');
      if (w !== undefined)
        check(isNonNegativeFinite(w), `${f}: queues[${qid}].weight`, 'a finite number >= 0');
      const existing = a.memberships.get(q);
      memberships.set(q, { order: order ?? existing?.order ?? q.nextOrder++, weight: w });
    }
    // swap in the new configuration with the agent uncounted from its old queues
    this.#uncount(a);
    for (const q of a.memberships.keys()) q.members.delete(a);
    for (const name of a.skills.keys()) this.#agentsBySkill.get(name)?.delete(a);
    a.memberships.clear();
    for (const [q, m] of memberships) {
      a.memberships.set(q, m);
      q.members.set(a, m);
    }
    a.skills = skills;
    a.prof = [];
    for (const [name, p] of skills) {
      a.prof[this.#skillId(name)] = p;
      let set = this.#agentsBySkill.get(name);
      if (!set) {
        set = new Set();
        this.#agentsBySkill.set(name, set);
      }
      set.add(a);
    }
    a.name = c.name;
    a.capacity = capacity;
    a.weight = weight;
  }

  #agentConfigOf(a: AgentRec): AgentConfig {
    return {
      id: a.id,
      name: a.name,
      skills: Object.fromEntries(a.skills),
      queues: [...a.memberships].map(([q, m]) => ({ queue: q.id, order: m.order, weight: m.weight })),
      maxConcurrent: a.capacity,
      weight: a.weight,
    };
  }

  /** The queue's default requirement, compiled once per configuration. */
  #queueRequirement(q: QueueRec): CompiledRequirement {
    let req = this.#queueReqs.get(q.s);
    if (!req) {
      req = this.#compileRequirement(q.s.skills);
      this.#queueReqs.set(q.s, req);
    }
    return req;
  }

  #compileRequirement(skills: readonly Required<SkillRequirement>[]): CompiledRequirement {
    const sorted = [...skills].sort((a, b) => (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
    return {
      names: sorted.map((s) => s.skill),
      ids: sorted.map((s) => this.#skillId(s.skill)),
      mins: sorted.map((s) => s.min),
      sig: sorted.map((s) => `${s.skill}>=${s.min}`).join(','),
    };
  }

  #compileCallback(r: CallbackRequest, q: QueueRec, callerId: string | undefined) {
    check(typeof r === 'object' && r !== null, 'callback', 'an object');
    const number = r.number ?? callerId;
    check(isId(number), 'callback.number', 'a non-empty string (or give the interaction a callerId)');
    const maxAttempts = r.maxAttempts ?? q.s.callbackMaxAttempts;
    check(Number.isInteger(maxAttempts) && maxAttempts >= 1, 'callback.maxAttempts', 'an integer >= 1');
    const retryDelayMs = r.retryDelayMs ?? q.s.callbackRetryDelayMs;
    check(isNonNegativeFinite(retryDelayMs), 'callback.retryDelayMs', 'a finite number >= 0');
    if (r.notBefore !== undefined) check(Number.isFinite(r.notBefore), 'callback.notBefore', 'wall-clock ms');
    if (r.notAfter !== undefined) check(Number.isFinite(r.notAfter), 'callback.notAfter', 'wall-clock ms');
    if (r.notBefore !== undefined && r.notAfter !== undefined) {
      check(r.notAfter > r.notBefore, 'callback.notAfter', 'after notBefore');
    }
    return {
      number: number as string,
      attempts: 0,
      maxAttempts,
      retryDelayMs,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      retryAt: Number.NEGATIVE_INFINITY,
      timer: null,
    };
  }

  #checkDisposition(ix: Ix, code: string): void {
    check(isId(code), 'disposition', 'a non-empty string');
    const q = ix.servedVia ?? ix.home;
    const d = q.s.dispositions;
    if (d && !d.codes.includes(code)) {
      throw new AcdError(
        'ERR_INVALID_ARGUMENT',
        `disposition ${JSON.stringify(code)} is not one of queue ${q.id}'s codes (${d.codes.join(', ')})`,
        {
          queueId: q.id,
          interactionId: ix.id,
        },
      );
    }
  }

  // ───────────────────────────── internals: enqueue ─────────────────────────────

  #enqueue(r: InteractionRequest, hops: number): EnqueueResult {
    check(typeof r === 'object' && r !== null, 'interaction', 'an object');
    check(isId(r.id), 'interaction.id', 'a non-empty string');
    if (this.#ixs.has(r.id)) {
      throw new AcdError('ERR_INVALID_STATE', `interaction ${r.id} is already in the ACD`, {
        interactionId: r.id,
      });
    }
    const q = this.#queue(r.queue);
    const now = this.#clock.now();
    const basePriority = r.priority ?? 0;
    check(Number.isFinite(basePriority), 'interaction.priority', 'a finite number');
    if (r.callerId !== undefined) check(typeof r.callerId === 'string', 'interaction.callerId', 'a string');
    const enqueuedAt = r.enqueuedAt ?? now;
    check(
      Number.isFinite(enqueuedAt) && enqueuedAt <= now,
      'interaction.enqueuedAt',
      'a clock time not in the future',
    );
    const skills = r.skills ? compileSkills(r.skills, 'interaction.skills') : q.s.skills;
    const attributes = r.attributes ?? {};
    check(typeof attributes === 'object' && attributes !== null, 'interaction.attributes', 'an object');
    const isCallback = r.callback !== undefined;
    const cb = isCallback ? this.#compileCallback(r.callback as CallbackRequest, q, r.callerId) : null;

    this.#checkHours(q);
    const reject = (reason: 'closed' | 'full' | 'empty'): EnqueueResult => {
      this.#post('rejected', () => ({ interactionId: r.id, queueId: q.id, reason, at: now }));
      return { accepted: false, queueId: q.id, reason };
    };
    if (!q.open && !isCallback) return reject('closed');
    if (!isCallback && !q.s.joinWhenEmpty && this.#isEmpty(q)) return reject('empty');
    if (!isCallback && q.waiting >= q.s.maxLength) {
      const target = q.s.fullTarget ? this.#queues.get(q.s.fullTarget) : undefined;
      if (target && hops < 8) return this.#enqueue({ ...r, queue: target.id }, hops + 1);
      return reject('full');
    }

    const ix = new Ix(
      r.id,
      this.#seq++,
      isCallback ? 'callback' : 'call',
      q,
      r.callerId,
      basePriority,
      r.skills ? this.#compileRequirement(skills) : this.#queueRequirement(q),
      skills,
      Object.keys(attributes).length === 0 ? NO_ATTRIBUTES : Object.freeze({ ...attributes }),
      enqueuedAt,
    );
    ix.cb = cb;
    ix.entries.push(new Entry(ix, q));
    this.#ixs.set(ix.id, ix);
    const queued = { interactionId: ix.id, queueId: q.id, kind: ix.kind, position: 1, ewtMs: 0, at: now };
    this.#post('queued', () => queued);
    if (cb) {
      this.#callbacks.add(ix);
      this.#post('callbackScheduled', () => ({
        interactionId: ix.id,
        queueId: q.id,
        number: cb.number,
        at: now,
      }));
      if (this.#callbackReady(ix)) this.#insertAll(ix);
      else this.#park(ix);
    } else {
      q.stats.add(now, F_ARRIVALS);
      this.#insertAll(ix);
      if (q.atRisk) for (const action of q.s.riskActions) this.#applyAction(ix, q, action);
    }
    if (ix.done) return { accepted: true, queueId: q.id, position: 1, ewtMs: 0 };
    this.#timeRules(ix);
    if (ix.state === 'waiting') {
      this.#pushIx(ix);
      this.#pump();
    }
    let position = 1;
    let ewt = 0;
    if (ix.state === 'waiting') {
      position = Number.POSITIVE_INFINITY;
      ewt = Number.POSITIVE_INFINITY;
      for (const e of ix.entries) {
        if (!e.bucket) continue;
        const r = this.#rank(e);
        position = Math.min(position, r);
        ewt = Math.min(ewt, this.#ewtAt(e.queue, r));
      }
      if (position === Number.POSITIVE_INFINITY) position = 1;
    } else if (ix.state === 'parked') {
      ewt = this.estimatedWait(ix.id);
    }
    ix.announced = position;
    queued.position = position;
    queued.ewtMs = ewt;
    return { accepted: true, queueId: q.id, position, ewtMs: ewt };
  }

  // ───────────────────────────── internals: buckets ─────────────────────────────

  #bucketFor(q: QueueRec, priority: number, req: CompiledRequirement): Bucket {
    let byPrio = q.bucketMap.get(priority);
    if (!byPrio) {
      byPrio = new Map();
      q.bucketMap.set(priority, byPrio);
    }
    let b = byPrio.get(req.sig);
    if (!b) {
      const levels: Level[] = [];
      for (let l = 0; l <= q.s.rings.length; l++) {
        const ring: CompiledRing | undefined = l === 0 ? undefined : q.s.rings[l - 1];
        const lv: Level = { ids: [], mins: [], requirement: [] };
        for (let i = 0; i < req.ids.length; i++) {
          const name = req.names[i] as string;
          if (ring && (ring.dropAll || ring.drop.has(name))) continue;
          const min = Math.max(1, (req.mins[i] as number) - (ring?.lowerBy ?? 0));
          lv.ids.push(req.ids[i] as number);
          lv.mins.push(min);
          lv.requirement.push({ skill: name, min });
        }
        levels.push(lv);
      }
      b = new Bucket(q, priority, req.sig, levels);
      byPrio.set(req.sig, b);
    }
    return b;
  }

  #insertEntry(e: Entry): void {
    if (e.bucket) return;
    const q = e.queue;
    const ix = e.ix;
    e.priority = q.s.priority + ix.basePriority;
    e.effEnq = ix.enqueuedAt - q.s.waitOffsetMs;
    e.level = q.levelAt(this.#clock.now() - ix.enqueuedAt);
    const b = this.#bucketFor(q, e.priority, ix.req);
    b.heap.push(e);
    if (e.effEnq > b.maxEffEnq) b.maxEffEnq = e.effEnq;
    if (b.listIndex < 0) {
      b.listIndex = q.buckets.length;
      q.buckets.push(b);
    }
    e.bucket = b;
    e.insertedAt = this.#clock.now();
    if (q.waiting === 0) q.backlogMark = e.insertedAt;
    q.waiting++;
  }

  #removeEntry(e: Entry): void {
    const b = e.bucket;
    if (!b) return;
    e.bucket = null;
    if (!b.heap.remove(e)) return;
    const q = e.queue;
    q.waiting--;
    if (q.waiting === 0) this.#flushBacklog(q);
    if (b.heap.size === 0) {
      const last = q.buckets.pop() as Bucket;
      if (last !== b) {
        q.buckets[b.listIndex] = last;
        last.listIndex = b.listIndex;
      }
      b.listIndex = -1;
      const byPrio = q.bucketMap.get(b.priority);
      byPrio?.delete(b.sig);
      if (byPrio && byPrio.size === 0) q.bucketMap.delete(b.priority);
    }
  }

  #insertAll(ix: Ix): void {
    for (const e of ix.entries) this.#insertEntry(e);
  }

  #removeAll(ix: Ix): void {
    for (const e of ix.entries) this.#removeEntry(e);
  }

  /** Position of an entry in its queue: 1 + entries before it in the global order. */
  #rank(e: Entry): number {
    let r = 1;
    for (const b of e.queue.buckets) {
      if (b.priority > e.priority) r += b.heap.size;
      else if (b.priority < e.priority) continue;
      else if (b.maxEffEnq < e.effEnq) r += b.heap.size;
      else for (const x of b.heap.items) if (x !== e && entryBeforeGlobal(x, e)) r++;
    }
    return r;
  }

  #sortedEntries(q: QueueRec): Entry[] {
    const out: Entry[] = [];
    for (const b of q.buckets) for (const e of b.heap.items) out.push(e);
    return out.sort((a, b) => (entryBeforeGlobal(a, b) ? -1 : entryBeforeGlobal(b, a) ? 1 : 0));
  }

  // ───────────────────────────── internals: dispatch ─────────────────────────────

  /** Can agent `a` (a member of `e.queue`) take entry `e` at its current relaxation ring? */
  #meets(a: AgentRec, lv: Level): boolean {
    const prof = a.prof;
    for (let i = 0; i < lv.ids.length; i++)
      if ((prof[lv.ids[i] as number] ?? 0) < (lv.mins[i] as number)) return false;
    return true;
  }

  #levelOf(e: Entry, now: number): Level {
    const b = e.bucket as Bucket;
    return b.levels[e.queue.levelAt(now - e.ix.enqueuedAt)] as Level;
  }

  #qualifiesExtra(a: AgentRec, q: QueueRec): boolean {
    for (const x of q.extras) if ((a.skills.get(x.skill) ?? 0) >= x.min) return true;
    return false;
  }

  /** An agent is free: give it the best interaction it can take, by the global order. */
  #dispatchAgent(a: AgentRec): void {
    const now = this.#clock.now();
    let refused: Entry[] | null = null;
    while (a.offerable) {
      let best: Entry | null = null;
      for (const q of a.memberships.keys()) {
        for (const b of q.buckets) {
          const top = b.heap.peek() as Entry;
          if (best && !entryBeforeGlobal(top, best)) continue;
          if (refused?.includes(top)) continue;
          if (this.#meets(a, this.#levelOf(top, now))) best = top;
        }
      }
      for (const q of this.#extraQueues) {
        if (a.memberships.has(q) || !this.#qualifiesExtra(a, q)) continue;
        for (const b of q.buckets) {
          const top = b.heap.peek() as Entry;
          if (best && !entryBeforeGlobal(top, best)) continue;
          if (refused?.includes(top)) continue;
          best = top;
        }
      }
      if (!best) return;
      const q = best.queue;
      const cands = this.#cands;
      cands.length = 0;
      cands.push(a);
      q.now = now;
      q.requirement = this.#levelOf(best, now).requirement;
      const ranking = q.s.strategy.rank(best.ix, cands, q);
      if (ranking.length > 0 && ranking[0] === a) {
        this.#offer(best, cands, false);
      } else {
        // a custom strategy declined this agent for that interaction: try the next best
        if (!refused) refused = [];
        refused.push(best);
      }
    }
  }

  /** An interaction is waiting (arrived, returned or widened): offer it to free agents of its queues. */
  #dispatchIx(ix: Ix): void {
    if (ix.state !== 'waiting' || ix.done) return;
    const now = this.#clock.now();
    for (const e of ix.entries) {
      const q = e.queue;
      if (!e.bucket) continue;
      if (ix.kind === 'callback' && !q.open) continue;
      const lv = this.#levelOf(e, now);
      const cands = this.#cands;
      cands.length = 0;
      for (const a of q.available) if (this.#meets(a, lv)) cands.push(a);
      for (const x of q.extras) {
        const set = this.#agentsBySkill.get(x.skill);
        if (!set) continue;
        for (const a of set) {
          if (a.offerable && !q.members.has(a) && (a.skills.get(x.skill) ?? 0) >= x.min && !cands.includes(a))
            cands.push(a);
        }
      }
      if (cands.length === 0) continue;
      q.now = now;
      q.requirement = lv.requirement;
      const ranking = q.s.strategy.rank(ix, cands, q);
      if (ranking.length === 0) continue;
      if (this.#offer(e, ranking, q.s.strategy.offerAll === true)) return;
    }
  }

  /** Reserves agents for an interaction and emits the offers. Returns false when no ranked agent was valid. */
  #offer(e: Entry, ranking: readonly unknown[], offerAll: boolean): boolean {
    const ix = e.ix;
    const q = e.queue;
    const now = this.#clock.now();
    const chosen: AgentRec[] = [];
    for (const x of ranking) {
      if (!(x instanceof AgentRec) || !x.offerable || this.#agents.get(x.id) !== x || chosen.includes(x))
        continue;
      chosen.push(x);
      if (!offerAll) break;
    }
    if (chosen.length === 0) return false;
    for (const x of ix.entries) {
      if (x.bucket && now > x.insertedAt) x.queue.stats.add(now, F_DEPARTURES);
    }
    this.#removeAll(ix);
    ix.state = 'offered';
    const group = new OfferGroup(ix, q, offerAll);
    ix.group = group;
    ix.home.offering.add(ix);
    for (const a of chosen) {
      const o = new Offer(a, group, now);
      group.offers.push(o);
      a.offer = o;
      a.lastOfferAt = now;
      ix.offerCount++;
      this.#refresh(a);
      this.#post('offer', () => ({
        interactionId: ix.id,
        agentId: a.id,
        queueId: q.id,
        kind: ix.kind,
        callerId: ix.callerId,
        callbackNumber: ix.cb?.number,
        offerAll,
        timeoutMs: q.s.offerTimeoutMs,
        at: now,
      }));
    }
    group.timer = this.#clock.setTimeout(
      () => this.#run(() => this.#offerTimeout(group)),
      q.s.offerTimeoutMs,
    );
    return true;
  }

  #offerTimeout(group: OfferGroup): void {
    const ix = group.ix;
    if (ix.group !== group) return;
    for (const o of [...group.offers]) {
      this.#withdrawOffer(o, 'timeout', false);
      this.#miss(o.agent);
      this.#refresh(o.agent);
    }
    if (ix.group === group) this.#returnToQueue(ix);
  }

  /** Takes one offer back (the agent is not at fault unless the caller counts a miss). */
  #withdrawOffer(o: Offer, reason: WithdrawReason, refresh = true): void {
    const group = o.group;
    const a = o.agent;
    removeItem(group.offers, o);
    if (a.offer === o) a.offer = null;
    if (refresh) this.#refresh(a);
    const now = this.#clock.now();
    this.#post('offerWithdrawn', () => ({ interactionId: group.ix.id, agentId: a.id, reason, at: now }));
    if (group.offers.length === 0) group.timer?.cancel();
    if (reason === 'logout' && group.offers.length === 0 && group.ix.group === group)
      this.#returnToQueue(group.ix);
  }

  #withdrawAll(ix: Ix, reason: WithdrawReason): void {
    const group = ix.group;
    if (!group) return;
    ix.group = null;
    ix.home.offering.delete(ix);
    group.timer?.cancel();
    for (const o of [...group.offers]) this.#withdrawOffer(o, reason);
  }

  #returnToQueue(ix: Ix): void {
    ix.group = null;
    ix.home.offering.delete(ix);
    if (ix.done) return;
    ix.state = 'waiting';
    if (ix.cb && !this.#callbackReady(ix)) {
      this.#park(ix);
      return;
    }
    this.#insertAll(ix);
    this.#timeRules(ix);
    if (!ix.done && ix.state === 'waiting') this.#pushIx(ix);
  }

  #miss(a: AgentRec): void {
    a.missed++;
    a.consecutiveMisses++;
    if (a.pause && !a.pause.auto) return;
    if (this.#maxMissed > 0 && a.consecutiveMisses >= this.#maxMissed) {
      this.#setPause(a, { reason: PAUSE_NO_ANSWER, auto: false, timer: null });
    } else if (this.#rejectDelayMs > 0) {
      const p: Pause = { reason: PAUSE_REJECT_DELAY, auto: true, timer: null };
      p.timer = this.#clock.setTimeout(
        () =>
          this.#run(() => {
            if (a.pause !== p) return;
            a.pause = null;
            this.#refresh(a);
          }),
        this.#rejectDelayMs,
      );
      this.#setPause(a, p);
    }
  }

  #setPause(a: AgentRec, p: Pause | null): void {
    if (a.pause && a.pause !== p) a.pause.timer?.cancel();
    a.pause = p;
  }

  // ───────────────────────────── internals: agents ─────────────────────────────

  #deriveState(a: AgentRec): AgentState {
    if (!a.loggedIn) return 'logged-out';
    if (a.offer) return a.offer.stage;
    if (a.active.length > 0) return 'busy';
    if (a.wrapUps.length > 0) return 'wrap-up';
    if (a.pause) return 'paused';
    return 'available';
  }

  /** Recomputes an agent's state, availability and staffing after any change, emitting transitions. */
  #refresh(a: AgentRec): void {
    const now = this.#clock.now();
    const state = this.#deriveState(a);
    const reason = a.loggedIn && a.pause ? a.pause.reason : undefined;
    if (state !== a.state || reason !== a.stateReason) {
      const from = a.state;
      if (state === 'available' && from !== 'reserved' && from !== 'ringing' && from !== 'available')
        a.idleSince = now;
      a.state = state;
      a.stateReason = reason;
      if (from !== state) a.stateSince = now;
      this.#post('agentState', () => ({
        agentId: a.id,
        from,
        to: state,
        pauseReason: reason,
        load: a.load,
        at: now,
      }));
    }
    const offerable =
      a.loggedIn &&
      !a.logoutPending &&
      a.pause === null &&
      a.offer === null &&
      a.wrapUps.length === 0 &&
      a.active.length < a.capacity &&
      this.#agents.get(a.id) === a;
    if (offerable !== a.offerable) {
      a.offerable = offerable;
      for (const q of a.memberships.keys()) {
        if (offerable) q.available.add(a);
        else q.available.delete(a);
      }
      if (offerable) this.#pushAgent(a);
    }
    const li = a.loggedIn;
    const st = a.loggedIn && !(a.pause && !a.pause.auto);
    if (li !== a.countedLoggedIn || st !== a.countedStaffed) {
      const dl = (li ? 1 : 0) - (a.countedLoggedIn ? 1 : 0);
      const ds = (st ? 1 : 0) - (a.countedStaffed ? 1 : 0);
      const share = a.memberships.size > 0 ? 1 / a.memberships.size : 0;
      for (const q of a.memberships.keys()) {
        q.loggedIn += dl;
        q.staffed += ds;
        q.staffShare = q.staffed === 0 ? 0 : q.staffShare + ds * share;
        if (a.memberships.size > 1) q.sharedStaffed += ds;
        if (dl < 0 || ds < 0) this.#emptyChecks.add(q);
      }
      a.countedLoggedIn = li;
      a.countedStaffed = st;
    }
  }

  /** Takes the agent out of its queues' counts and availability (before a membership change). */
  #uncount(a: AgentRec): void {
    const share = a.memberships.size > 0 ? 1 / a.memberships.size : 0;
    for (const q of a.memberships.keys()) {
      if (a.countedLoggedIn) q.loggedIn--;
      if (a.countedStaffed) {
        q.staffed--;
        q.staffShare = q.staffed === 0 ? 0 : q.staffShare - share;
        if (a.memberships.size > 1) q.sharedStaffed--;
        this.#emptyChecks.add(q);
      }
      q.available.delete(a);
    }
    a.countedLoggedIn = false;
    a.countedStaffed = false;
    a.offerable = false;
  }

  /** After an interaction left the agent: idle bookkeeping, pending logout. */
  #agentWorkDone(a: AgentRec): void {
    if (a.logoutPending && a.active.length === 0 && a.wrapUps.length === 0 && !a.offer) {
      this.#completeLogout(a);
      return;
    }
    this.#refresh(a);
  }

  #completeLogout(a: AgentRec): void {
    this.#setPause(a, null);
    a.loggedIn = false;
    a.logoutPending = false;
    a.consecutiveMisses = 0;
    this.#refresh(a);
  }

  #endWrap(a: AgentRec, wrap: WrapUp, timedOut: boolean): void {
    if (!a.wrapUps.includes(wrap)) return;
    wrap.timer?.cancel();
    removeItem(a.wrapUps, wrap);
    const ix = wrap.ix;
    ix.wrap = null;
    const now = this.#clock.now();
    this.#handleSample(ix, now);
    const q = ix.servedVia ?? ix.home;
    const missing = timedOut && q.s.dispositions?.required === true && ix.disposition === undefined;
    this.#agentWorkDone(a);
    this.#finish(ix, 'completed', undefined, missing, now - wrap.startedAt);
  }

  #handleSample(ix: Ix, now: number): void {
    const q = ix.home;
    q.stats.add(now, F_HANDLE_SUM, now - ix.answeredOfferAt);
    q.stats.add(now, F_HANDLE_COUNT);
  }

  // ───────────────────────────── internals: lifecycle of interactions ─────────────────────────────

  #finish(
    ix: Ix,
    outcome: InteractionOutcome,
    reason: string | undefined,
    dispositionMissing = false,
    wrapMs?: number,
  ): void {
    if (ix.done) return;
    const now = this.#clock.now();
    ix.done = true;
    ix.timer?.cancel();
    ix.cb?.timer?.cancel();
    ix.group?.timer?.cancel();
    this.#removeAll(ix);
    ix.home.parked.delete(ix);
    ix.home.offering.delete(ix);
    this.#callbacks.delete(ix);
    this.#ixs.delete(ix.id);
    this.#post(
      'ended',
      (): InteractionRecord => ({
        id: ix.id,
        kind: ix.kind,
        queueId: ix.home.id,
        servedBy: ix.servedVia?.id,
        callerId: ix.callerId,
        priority: ix.priority,
        attributes: { ...ix.attributes },
        outcome,
        reason,
        agentId: ix.agent?.id,
        enqueuedAt: ix.enqueuedAt,
        answeredAt: ix.answeredAt,
        hungUpAt: ix.hungUpAt,
        endedAt: now,
        waitMs: (ix.answeredAt ?? now) - ix.enqueuedAt,
        talkMs:
          ix.answeredAt !== undefined && ix.hungUpAt !== undefined ? ix.hungUpAt - ix.answeredAt : undefined,
        wrapUpMs: wrapMs,
        disposition: ix.disposition,
        dispositionMissing,
        offers: ix.offerCount,
        callbackAttempts: ix.cb?.attempts ?? 0,
      }),
    );
  }

  #exit(ix: Ix, reason: string): void {
    this.#withdrawAll(ix, 'removed');
    const now = this.#clock.now();
    this.#post('exited', () => ({ interactionId: ix.id, queueId: ix.home.id, reason, at: now }));
    this.#finish(ix, 'exited', reason);
  }

  /** Applies due relaxation rings, wait-based overflow rules and max wait; re-arms the timer. */
  #timeRules(ix: Ix): void {
    ix.timer?.cancel();
    ix.timer = null;
    if (ix.done || ix.state !== 'waiting') return;
    const now = this.#clock.now();
    const wait = now - ix.enqueuedAt;
    let next = Number.POSITIVE_INFINITY;
    let widened = false;
    for (let i = 0; i < ix.entries.length; i++) {
      const e = ix.entries[i] as Entry;
      const q = e.queue;
      const lvl = q.levelAt(wait);
      if (lvl > e.level) {
        e.level = lvl;
        widened = true;
      }
      const ring = q.s.rings[lvl];
      if (ring) next = Math.min(next, ix.enqueuedAt + ring.afterMs);
      if (ix.kind !== 'call') continue;
      for (const wr of q.s.waitRules) {
        if (e.applied?.has(wr.rule)) continue;
        if (wr.waitMs <= wait) {
          if (!e.applied) e.applied = new Set();
          e.applied.add(wr.rule);
          this.#applyAction(ix, q, wr.rule.action);
          if (ix.done || ix.state !== 'waiting') return;
        } else {
          next = Math.min(next, ix.enqueuedAt + wr.waitMs);
          break;
        }
      }
    }
    if (ix.kind === 'call' && ix.home.s.maxWaitMs !== Number.POSITIVE_INFINITY) {
      if (wait >= ix.home.s.maxWaitMs) {
        this.#exit(ix, 'timeout');
        return;
      }
      next = Math.min(next, ix.enqueuedAt + ix.home.s.maxWaitMs);
    }
    if (widened) this.#pushIx(ix);
    if (next !== Number.POSITIVE_INFINITY) {
      ix.timer = this.#clock.setTimeout(() => this.#run(() => this.#timeRules(ix)), Math.max(0, next - now));
    }
  }

  #applyAction(ix: Ix, from: QueueRec, action: OverflowAction): void {
    if (ix.done) return;
    const now = this.#clock.now();
    switch (action.type) {
      case 'queue': {
        const target = this.#queues.get(action.queue);
        if (!target || ix.entryIn(target)) return;
        const e = new Entry(ix, target);
        ix.entries.push(e);
        if (ix.state === 'waiting') this.#insertEntry(e);
        this.#post('overflowed', () => ({ interactionId: ix.id, from: from.id, to: target.id, at: now }));
        this.#pushIx(ix);
        return;
      }
      case 'callback': {
        const e = ix.entryIn(from);
        const position = e?.bucket ? this.#rank(e) : 1;
        this.#post('callbackOffer', () => ({
          interactionId: ix.id,
          queueId: from.id,
          position,
          ewtMs: this.#ewtAt(from, position),
          at: now,
        }));
        return;
      }
      case 'exit':
        this.#exit(ix, action.reason ?? 'overflow');
        return;
      case 'add-agents':
        return; // queue-level, see #setExtras
    }
  }

  #isEmpty(q: QueueRec): boolean {
    return q.s.emptyWhen === 'no-agents-logged-in' ? q.loggedIn === 0 : q.staffed === 0;
  }

  #leaveIfEmpty(q: QueueRec): void {
    if (!this.#queues.has(q.id) || !q.s.leaveWhenEmpty || !this.#isEmpty(q)) return;
    for (const ix of [...this.#ixs.values()]) {
      if (ix.home === q && ix.kind === 'call' && (ix.state === 'waiting' || ix.state === 'offered'))
        this.#exit(ix, 'empty');
    }
  }

  // ───────────────────────────── internals: callbacks ─────────────────────────────

  #wallToClock(wall: number): number {
    return this.#clock.now() + (wall - this.#clock.wallTime());
  }

  /** May the callback be offered now (window, retry delay, opening hours)? */
  #callbackReady(ix: Ix): boolean {
    const cb = ix.cb as NonNullable<Ix['cb']>;
    const now = this.#clock.now();
    if (cb.retryAt > now) return false;
    if (cb.notBefore !== undefined && this.#wallToClock(cb.notBefore) > now) return false;
    return ix.home.open;
  }

  /** Holds a callback out of line until it may be offered; it keeps its enqueue time, so its place. */
  #park(ix: Ix): void {
    const cb = ix.cb as NonNullable<Ix['cb']>;
    this.#removeAll(ix);
    ix.state = 'parked';
    ix.home.parked.add(ix);
    cb.timer?.cancel();
    cb.timer = null;
    const now = this.#clock.now();
    const due = Math.max(cb.retryAt, cb.notBefore !== undefined ? this.#wallToClock(cb.notBefore) : now);
    if (due > now)
      cb.timer = this.#clock.setTimeout(() => this.#run(() => this.#releaseCallback(ix)), due - now);
    // closed hours: released by the tick when the queue opens
  }

  #releaseCallback(ix: Ix): void {
    if (ix.done || ix.state !== 'parked') return;
    const cb = ix.cb as NonNullable<Ix['cb']>;
    if (cb.notAfter !== undefined && this.#clock.wallTime() > cb.notAfter) {
      this.#failCallback(ix, 'window-expired');
      return;
    }
    if (!this.#callbackReady(ix)) {
      this.#park(ix);
      return;
    }
    ix.home.parked.delete(ix);
    ix.state = 'waiting';
    this.#insertAll(ix);
    const now = this.#clock.now();
    this.#post('callbackDue', () => ({
      interactionId: ix.id,
      queueId: ix.home.id,
      attempt: cb.attempts + 1,
      at: now,
    }));
    this.#timeRules(ix);
    this.#pushIx(ix);
  }

  #failCallback(ix: Ix, reason: 'attempts-exhausted' | 'window-expired'): void {
    const cb = ix.cb as NonNullable<Ix['cb']>;
    this.#withdrawAll(ix, 'removed');
    const now = this.#clock.now();
    this.#post('callbackFailed', () => ({
      interactionId: ix.id,
      queueId: ix.home.id,
      reason,
      attempts: cb.attempts,
      at: now,
    }));
    this.#finish(ix, 'callback-failed', reason);
  }

  // ───────────────────────────── internals: estimates, SLA, tick ─────────────────────────────

  /** Recent mean handle time (offer → agent free), blended with the configured prior. */
  #aht(q: QueueRec, now: number): number {
    const n = q.stats.get(now, F_HANDLE_COUNT);
    return (q.stats.get(now, F_HANDLE_SUM) + q.s.ahtMs * AHT_PRIOR_WEIGHT) / (n + AHT_PRIOR_WEIGHT);
  }

  /** Mean patience estimated as total waiting time / abandons (MLE for exponential patience). */
  #patience(q: QueueRec, now: number): number {
    const ab = q.stats.get(now, F_ABANDONED);
    if (ab === 0) return Number.POSITIVE_INFINITY;
    return Math.max(1, q.stats.get(now, F_WAIT_ALL)) / ab;
  }

  /** Adds the time the line has been non-empty since the last mark to the backlog time. */
  #flushBacklog(q: QueueRec): void {
    const now = this.#clock.now();
    if (now > q.backlogMark) q.stats.add(now, F_BACKLOG_MS, now - q.backlogMark);
    q.backlogMark = now;
  }

  /**
   * The rate (per ms) at which the line moves when every agent who could help is busy.
   * A dedicated pool (no staffed member serves another queue, no agents added by an
   * overflow rule) is Erlang's model: live staffing / recent AHT, so a login or a pause
   * shows at once. Where agents are shared between queues — and priorities between them
   * decide who gets the next free agent — the model's even split does not fit, so the
   * rate is measured instead: interactions that left the line for an agent per unit of
   * time the line was non-empty, with the model as a prior worth a few departures.
   */
  #lineRate(q: QueueRec, now: number): number {
    const model = q.staffShare > 1e-9 ? q.staffShare / this.#aht(q, now) : 0;
    if (q.sharedStaffed === 0 && q.extras.length === 0) return model;
    if (q.waiting > 0) this.#flushBacklog(q);
    // the model's rate acts as a prior worth a few departures, so a quiet line leans on it
    const departures = q.stats.get(now, F_DEPARTURES);
    const backlog = q.stats.get(now, F_BACKLOG_MS);
    if (model <= 0) return departures > 0 && backlog > 0 ? departures / backlog : 0;
    return (departures + RATE_PRIOR_DEPARTURES) / (backlog + RATE_PRIOR_DEPARTURES / model);
  }

  /** EWT of the caller at `rank` in `q`: Erlang A's conditional wait at the line's rate. */
  #ewtAt(q: QueueRec, rank: number): number {
    const now = this.#clock.now();
    const rate = this.#lineRate(q, now);
    if (!(rate > 0)) return Number.POSITIVE_INFINITY;
    return conditionalWait(rank, rate, 1, this.#patience(q, now));
  }

  #tick(): void {
    const now = this.#clock.now();
    const stamp = ++this.#tickStamp;
    for (const q of this.#queues.values()) this.#checkHours(q);
    const wall = this.#clock.wallTime();
    for (const ix of [...this.#callbacks]) {
      const cb = ix.cb as NonNullable<Ix['cb']>;
      if (
        cb.notAfter !== undefined &&
        wall > cb.notAfter &&
        (ix.state === 'waiting' || ix.state === 'parked')
      ) {
        this.#failCallback(ix, 'window-expired');
      }
    }
    const touched = this.#touched;
    touched.length = 0;
    for (const q of this.#queues.values()) {
      const sorted = this.#sortedInto(q);
      for (let i = 0; i < sorted.length; i++) {
        const e = sorted[i] as Entry;
        const ix = e.ix;
        if (ix.kind !== 'call') continue;
        const r = i + 1;
        if (ix.tickStamp !== stamp) {
          ix.tickStamp = stamp;
          ix.tickRank = r;
          ix.tickEwt = this.#ewtAt(q, r);
          touched.push(ix);
        } else if (r < ix.tickRank) {
          ix.tickRank = r;
          ix.tickEwt = Math.min(ix.tickEwt, this.#ewtAt(q, r));
        }
      }
      this.#slaCheck(q, sorted, now);
    }
    for (const ix of touched) {
      if (ix.tickRank < ix.announced) {
        ix.announced = ix.tickRank;
        const position = ix.tickRank;
        const ewtMs = ix.tickEwt;
        this.#post('position', () => ({
          interactionId: ix.id,
          queueId: ix.home.id,
          position,
          ewtMs,
          at: now,
        }));
      }
    }
    touched.length = 0;
    this.#sortScratch.length = 0;
  }

  #sortedInto(q: QueueRec): Entry[] {
    const out = this.#sortScratch;
    out.length = 0;
    for (const b of q.buckets) for (const e of b.heap.items) out.push(e);
    if (out.length > 1) out.sort((a, b) => (entryBeforeGlobal(a, b) ? -1 : entryBeforeGlobal(b, a) ? 1 : 0));
    return out;
  }

  /**
   * Projects the service level over the next `leadMs`: the window's results so far, plus
   * each waiting caller whose predicted total wait (waited + EWT at their position) is
   * within the threshold (met) or who will cross the threshold within the lead (missed),
   * plus the expected arrivals at Erlang C's service level for the live staffing.
   */
  #slaCheck(q: QueueRec, sorted: readonly Entry[], now: number): void {
    const { thresholdMs: T, target, leadMs, minCalls } = q.s.sl;
    const st = q.stats;
    const answered = st.get(now, F_ANSWERED);
    const met = st.get(now, F_MET);
    const late = st.get(now, F_ABANDONED_LATE);
    const missed = answered - met + late;
    let predMet = 0;
    let predMiss = 0;
    let breachIn: number | undefined;
    let calls = 0;
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i] as Entry;
      if (e.ix.kind !== 'call' || e.ix.home !== q) continue;
      calls++;
      const w = now - e.ix.enqueuedAt;
      if (w + this.#ewtAt(q, i + 1) <= T) predMet++;
      else if (w + leadMs >= T) {
        predMiss++;
        const t = Math.max(0, T - w);
        if (breachIn === undefined || t < breachIn) breachIn = t;
      }
    }
    const aht = this.#aht(q, now);
    const lambda = st.get(now, F_ARRIVALS) / st.span(now);
    const traffic = lambda * aht;
    const arrivals = lambda * leadMs;
    const n = Math.floor(q.staffShare + 1e-9);
    let slNew = n > traffic ? erlangCServiceLevel(n, traffic, aht, T) : 0;
    if (calls > 0 && this.#ewtAt(q, calls + 1) > T) slNew = 0;
    const denom = met + missed + predMet + predMiss + arrivals;
    const projected = denom > 0 ? (met + predMet + arrivals * slNew) / denom : undefined;
    q.projected = projected;
    q.risk = projected === undefined ? 0 : Math.max(0, target - projected);
    const enough = met + missed + predMet + predMiss >= minCalls;
    const atRisk = projected !== undefined && projected < target && (enough || q.atRisk);
    if (atRisk === q.atRisk) return;
    q.atRisk = atRisk;
    const live = answered + late > 0 ? met / (answered + late) : undefined;
    const actions = atRisk ? [...q.s.riskActions] : [];
    const event = (): SlaEvent => ({
      queueId: q.id,
      serviceLevel: live,
      projectedServiceLevel: projected ?? 1,
      target,
      thresholdMs: T,
      leadMs,
      breachInMs: breachIn,
      waiting: q.waiting,
      actions,
      at: now,
    });
    if (atRisk) {
      this.#post('slaAtRisk', event);
      this.#setExtras(q, true);
      for (const action of q.s.riskActions) {
        if (action.type === 'add-agents') continue;
        for (const e of [...sorted])
          if (e.ix.kind === 'call' && e.ix.home === q) this.#applyAction(e.ix, q, action);
      }
    } else {
      this.#post('slaRecovered', event);
      this.#setExtras(q, false);
    }
  }

  /** Turns a queue's 'add-agents' actions on (while at risk) or off. */
  #setExtras(q: QueueRec, on: boolean): void {
    const extras: Array<{ skill: string; min: number }> = [];
    if (on) {
      for (const a of q.s.riskActions) {
        if (a.type === 'add-agents') extras.push({ skill: a.skill, min: a.minProficiency ?? 1 });
      }
    }
    q.extras = extras;
    const i = this.#extraQueues.indexOf(q);
    if (extras.length > 0 && i < 0) this.#extraQueues.push(q);
    if (extras.length === 0 && i >= 0) this.#extraQueues.splice(i, 1);
    if (extras.length > 0) {
      for (const x of extras)
        for (const a of this.#agentsBySkill.get(x.skill) ?? []) if (a.offerable) this.#pushAgent(a);
    }
  }

  #checkHours(q: QueueRec): void {
    if (!q.s.isOpen) {
      if (!q.open) this.#setOpen(q, true);
      return;
    }
    const open = q.s.isOpen(this.#clock.wallTime());
    if (open !== q.open) this.#setOpen(q, open);
  }

  #setOpen(q: QueueRec, open: boolean): void {
    q.open = open;
    const now = this.#clock.now();
    if (!open) {
      this.#post('queueClosed', () => ({ queueId: q.id, at: now }));
      for (const ix of [...this.#callbacks]) if (ix.home === q && ix.state === 'waiting') this.#park(ix);
    } else {
      this.#post('queueOpened', () => ({ queueId: q.id, at: now }));
      for (const ix of [...q.parked]) this.#releaseCallback(ix);
    }
  }

  // ───────────────────────────── internals: views ─────────────────────────────

  #agentView(a: AgentRec): AgentView {
    return {
      id: a.id,
      name: a.name,
      state: a.state,
      pauseReason: a.loggedIn && a.pause ? a.pause.reason : undefined,
      stateSince: a.stateSince,
      load: a.load,
      capacity: a.capacity,
      queues: [...a.memberships.keys()].map((q) => q.id),
      skills: Object.fromEntries(a.skills),
      handled: a.handled,
      missed: a.missed,
      consecutiveMisses: a.consecutiveMisses,
      talkTimeMs: a.talkTimeMs,
      idleSince: a.idleSince,
      logoutPending: a.logoutPending,
      offer: a.offer ? { interactionId: a.offer.group.ix.id, stage: a.offer.stage } : undefined,
      interactions: a.active.map((ix) => ix.id),
      wrapUps: a.wrapUps.map((w) => w.ix.id),
    };
  }

  #ixView(ix: Ix): InteractionView {
    const cb = ix.cb;
    return {
      id: ix.id,
      kind: ix.kind,
      queueId: ix.home.id,
      waitingIn: ix.state === 'waiting' ? ix.entries.filter((e) => e.bucket).map((e) => e.queue.id) : [],
      callerId: ix.callerId,
      priority: ix.priority,
      skills: ix.skills.map((s) => ({ ...s })),
      attributes: { ...ix.attributes },
      enqueuedAt: ix.enqueuedAt,
      state: ix.state,
      agentId: ix.agent?.id,
      offeredTo: ix.group ? ix.group.offers.map((o) => o.agent.id) : [],
      disposition: ix.disposition,
      callback: cb
        ? {
            number: cb.number,
            attempts: cb.attempts,
            maxAttempts: cb.maxAttempts,
            retryDelayMs: cb.retryDelayMs,
            notBefore: cb.notBefore,
            notAfter: cb.notAfter,
          }
        : undefined,
    };
  }
}

function ixBefore(a: Ix, b: Ix): number {
  const ea = a.entries[0];
  const eb = b.entries[0];
  if (ea && eb) {
    if (entryBeforeGlobal(ea, eb)) return -1;
    if (entryBeforeGlobal(eb, ea)) return 1;
  }
  return a.seq - b.seq;
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function compileSkills(list: readonly SkillRequirement[], field: string): Required<SkillRequirement>[] {
  check(Array.isArray(list), field, 'an array of { skill, min }');
  const seen = new Set<string>();
  return list.map((r, i) => {
    check(typeof r === 'object' && r !== null && isId(r.skill), `${field}[${i}].skill`, 'a non-empty string');
    const min = r.min ?? 1;
    check(Number.isInteger(min) && min >= 1 && min <= 5, `${field}[${i}].min`, 'an integer proficiency 1–5');
    check(!seen.has(r.skill), `${field}[${i}].skill`, `listed once (${r.skill} repeats)`);
    seen.add(r.skill);
    return { skill: r.skill, min };
  });
}

function compileRings(list: readonly import('./types.js').RelaxationStep[], field: string): CompiledRing[] {
  check(Array.isArray(list), field, 'an array of rings');
  const sorted = [...list].sort((a, b) => a.afterMs - b.afterMs);
  let lowerBy = 0;
  let dropAll = false;
  const drop = new Set<string>();
  return sorted.map((r, i) => {
    check(
      typeof r === 'object' && r !== null && isNonNegativeFinite(r.afterMs),
      `${field}[${i}].afterMs`,
      'a finite number >= 0',
    );
    const lower = r.lowerMinBy ?? 0;
    check(Number.isInteger(lower) && lower >= 0, `${field}[${i}].lowerMinBy`, 'an integer >= 0');
    if (r.drop === '*') dropAll = true;
    else if (r.drop !== undefined) {
      check(
        Array.isArray(r.drop) && r.drop.every(isId),
        `${field}[${i}].drop`,
        "an array of skill names or '*'",
      );
      for (const s of r.drop) drop.add(s);
    }
    lowerBy += lower;
    return { afterMs: r.afterMs, lowerBy, dropAll, drop: new Set(drop) };
  });
}

function checkAction(a: OverflowAction, field: string, self: string): void {
  check(typeof a === 'object' && a !== null, field, 'an object with a type');
  switch (a.type) {
    case 'queue':
      check(isId(a.queue), `${field}.queue`, 'a queue id');
      check(a.queue !== self, `${field}.queue`, 'another queue than this one');
      return;
    case 'callback':
      return;
    case 'add-agents':
      check(isId(a.skill), `${field}.skill`, 'a skill name');
      if (a.minProficiency !== undefined) {
        check(
          Number.isInteger(a.minProficiency) && a.minProficiency >= 1 && a.minProficiency <= 5,
          `${field}.minProficiency`,
          'an integer 1–5',
        );
      }
      return;
    case 'exit':
      if (a.reason !== undefined) check(isId(a.reason), `${field}.reason`, 'a non-empty string');
      return;
    default:
      throw new AcdError(
        'ERR_INVALID_ARGUMENT',
        `${field}.type must be 'queue', 'callback', 'add-agents' or 'exit'`,
      );
  }
}
