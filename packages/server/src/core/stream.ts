import type { TopicPattern } from '@tidings/protocol';
import type { ReplayLimits, ReplayTarget } from './catch-up.js';
import type { MayReceive } from './delivery-rule.js';
import type { CloseReason } from './observer.js';
import type { SlowConsumerRule } from './slow-consumer-rule.js';
import type { Subscriber } from './subscriber.js';

/**
 * An event stream as the registry opens it (`StreamSpec.connect`): a subscriber that replays
 * from history before it goes live, written to frame by frame.
 */
export interface Stream extends Subscriber, ReplayTarget {
  readonly state: 'replaying' | 'live' | 'closed';
  /** The hub patterns it subscribes to (its index entries, unless a face feeds it). */
  readonly patterns: readonly TopicPattern[];
  /** Writes a frame (greeting, heartbeat, notice) under the slow-consumer rule. */
  write(frame: Uint8Array): void;
}

/** What a stream needs from the registry that holds it. */
export interface StreamHost {
  /** The hub's slow-consumer rule, shared by every transport. */
  readonly slowConsumers: SlowConsumerRule;
  /** How replays hold live events and pace themselves. */
  readonly replayLimits: ReplayLimits;
  /** The hub's delivery rule (see `deliveryRule`). */
  readonly mayReceive: MayReceive;
  /** Called once when the stream closes, for whatever reason. */
  connectionClosed(conn: Subscriber, reason: CloseReason): void;
}
