import type { ResetReason, TopicPattern } from '@tidings/protocol';
import { holdLive, type ReplayLimits, type ReplayTarget } from '../../core/catch-up.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { TopicFilter } from '../../engines/history-store.js';
import { eventMessage } from './event-message.js';

/** What a subscription needs of the WebSocket connection it belongs to. */
export interface SubscriptionOwner {
  readonly subs: readonly Subscription[];
  /** Bytes of live events held by the connection's replaying subscriptions. */
  held: number;
  readonly host: { readonly replayLimits: ReplayLimits };
  readonly bufferedBytes: number;
  isClosed(): boolean;
  addressedTo(ev: StoredEvent): boolean;
  deliveredLive(ev: StoredEvent, except: Subscription): boolean;
  send(message: string | Buffer): void;
  sendReplayed(message: Buffer): void;
  waitDrain(): Promise<void>;
}

/**
 * The topics added by one `subscribe` (or by the upgrade URL), with their own replay. Each
 * subscription runs the same catch-up as an SSE stream: registered first, history read after its
 * resume point, then live; events of other subscriptions keep flowing meanwhile.
 */
export class Subscription implements ReplayTarget {
  state: 'replaying' | 'live' | 'closed' = 'replaying';
  pending: StoredEvent[] = [];
  private held = 0;
  pendingOverflowed = false;
  /** See `ReplayTarget.replayedThrough`: live events up to it were replayed already. */
  replayedThrough: string | undefined;
  /**
   * The position after which every event this subscription may read was delivered live, once it
   * is live (undefined after a reset: unknown).
   */
  liveAfter: string | undefined;

  constructor(
    private readonly conn: SubscriptionOwner,
    public patterns: TopicPattern[],
    private readonly canRead: ((topic: string) => boolean) | undefined,
  ) {}

  isClosed(): boolean {
    return this.state === 'closed' || this.conn.isClosed();
  }

  matches(topic: string): boolean {
    for (const p of this.patterns) if (p.matches(topic)) return true;
    return false;
  }

  /**
   * Whether the connection may read `ev` through any of its subscriptions (each one's grant
   * check holds for the topics it matches only): a resume id counts through any of them.
   */
  mayRead(ev: StoredEvent): boolean {
    if (!this.conn.addressedTo(ev)) return false;
    return this.conn.subs.some((s) => s.matches(ev.topic) && (!s.canRead || s.canRead(ev.topic)));
  }

  /** Every topic of the connection: the client's last id may come from any subscription. */
  resumeFilter(): TopicFilter {
    const all = this.conn.subs.flatMap((s) => s.patterns);
    return {
      topics: all.filter((p) => !p.wildcard).map((p) => p.source),
      patterns: all.filter((p) => p.wildcard),
    };
  }

  accepts(ev: StoredEvent): boolean {
    if (this.canRead && !this.canRead(ev.topic)) return false;
    if (!this.conn.addressedTo(ev)) return false;
    // Replaying topics added to a live connection: what another live subscription of the same
    // connection already delivered must not be sent twice.
    if (this.state === 'replaying' && this.conn.deliveredLive(ev, this)) return false;
    return true;
  }

  /** Bytes of `pending`; kept in the connection's total too (see {@link WsConnection.held}). */
  get pendingBytes(): number {
    return this.held;
  }

  set pendingBytes(bytes: number) {
    this.conn.held += bytes - this.held;
    this.held = bytes;
  }

  /**
   * Holds a live event that arrived during replay. The byte bound holds for the whole
   * connection: its subscriptions waiting for their replay (up to one per topic) share it, and
   * past it every one of them drops what it holds and reads further from history.
   */
  hold(ev: StoredEvent): void {
    const limits = this.conn.host.replayLimits;
    holdLive(this, ev, limits);
    if (this.conn.held <= limits.pendingBytes) return;
    for (const s of this.conn.subs) {
      if (s.state !== 'replaying' || s.pending.length === 0) continue;
      s.pending = [];
      s.pendingBytes = 0;
      s.pendingOverflowed = true;
    }
  }

  replay(ev: StoredEvent): void {
    this.conn.sendReplayed(eventMessage(ev));
  }

  sendReset(reason: ResetReason, lastEventId: string): void {
    this.conn.send(JSON.stringify({ op: 'reset', reason, lastEventId }));
  }

  get bufferedBytes(): number {
    return this.conn.bufferedBytes;
  }

  waitDrain(): Promise<void> {
    return this.conn.waitDrain();
  }
}
