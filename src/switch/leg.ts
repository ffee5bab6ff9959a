/**
 * One side of a call: an invite session with one party (the caller's incoming INVITE, or
 * one outgoing INVITE to a callee device or a trunk) and, when media is anchored, the
 * media engine endpoint that faces that party. A call has one caller leg and one callee
 * leg per device it rang (forks), of which at most one answered.
 */
import { type Clock, TypedEmitter } from '../core/index.js';
import type { MediaEndpoint } from '../media/worker/index.js';
import type { NegotiatedCodec, SessionDescription } from '../sdp/index.js';
import type { EndedInfo, InviteSession, InviteSessionState } from '../sip/ua/index.js';
import type { JsonObject } from './storage/index.js';

export type LegRole = 'caller' | 'callee';

export type LegEvents = {
  /** The leg's session ended (then `close`). */
  ended: [info: EndedInfo];
  close: [];
};

export class Leg extends TypedEmitter<LegEvents> {
  readonly id: string;
  readonly role: LegRole;
  readonly session: InviteSession;
  /** The party: the Request-URI we called, or the caller's From URI. */
  readonly uri: string;
  /** The engine endpoint facing this party (media anchored), else undefined. */
  endpoint: MediaEndpoint | undefined;
  /** The codec this leg's party and we agreed on (media anchored). */
  codec: NegotiatedCodec | undefined;
  /** Wall ms. */
  readonly startedAt: number;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  /** Final status of the leg's INVITE (or of our answer to it). */
  status: number | undefined;
  /** @internal our offer to this party (callee legs; caller legs without an offer) */
  _offer: SessionDescription | undefined;
  /** @internal our answer to the caller's offer, sent with early media or the 2xx */
  _answer: string | undefined;
  /** @internal the caller sent no offer: ours goes in the 2xx, its answer in the ACK */
  _delayed = false;
  readonly #clock: Clock;

  /** @internal created by the call */
  constructor(options: { id: string; role: LegRole; session: InviteSession; uri: string; clock: Clock }) {
    super();
    this.id = options.id;
    this.role = options.role;
    this.session = options.session;
    this.uri = options.uri;
    this.#clock = options.clock;
    this.startedAt = options.clock.wallTime();
    const s = options.session;
    s.on('answered', (res) => {
      this.answeredAt ??= this.#clock.wallTime();
      this.status ??= res.status;
    });
    s.on('ended', (info) => {
      this.endedAt = this.#clock.wallTime();
      if (this.status === undefined && info.status !== undefined) this.status = info.status;
      this.safeEmit('ended', info);
      this.safeEmit('close');
    });
  }

  get state(): InviteSessionState {
    return this.session.state;
  }

  get closed(): boolean {
    return this.session.state === 'terminated' && (this.endpoint?.closed ?? true);
  }

  /** The leg as a CDR records it. */
  toJSON(): JsonObject {
    const out: JsonObject = {
      id: this.id,
      role: this.role,
      uri: this.uri,
      sipCallId: this.session.callId,
      startedAt: this.startedAt,
    };
    if (this.answeredAt !== undefined) out.answeredAt = this.answeredAt;
    if (this.endedAt !== undefined) out.endedAt = this.endedAt;
    if (this.status !== undefined) out.status = this.status;
    const end = this.session.endedInfo?.reason;
    if (end !== undefined) out.endReason = end;
    if (this.codec) out.codec = `${this.codec.encodingName}/${this.codec.clockRate}`;
    if (this.endpoint) out.media = `${this.endpoint.local.address}:${this.endpoint.local.rtpPort}`;
    return out;
  }

  /**
   * Ends the leg: BYE when established, CANCEL while calling, 480 for an unanswered
   * incoming INVITE; then closes its endpoint. Idempotent.
   */
  async close(): Promise<void> {
    this.session.bye().catch(() => undefined);
    await this.endpoint?.close();
  }
}
