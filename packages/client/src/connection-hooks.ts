import type { NetworkState } from './connection-state.js';
import type { HubReply, SseFrame } from './transport.js';

/** What a {@link Connection} reports to, and asks of, its owner. */
export interface ConnectionHooks {
  /** The id to resume from on the next attempt. */
  lastEventId(): string | null;
  /** The hub named the position this stream continues after (`connected.lastEventId`). */
  resumePoint(id: string): void;
  /** Event types an EventSource must listen for by name. */
  eventTypes(): Iterable<string>;
  /** The topics to subscribe to on the next attempt. */
  topics(): Iterable<string>;
  /** WebSocket: an `ack`/`nack` from the hub. */
  reply(message: HubReply): void;
  /** WebSocket: a measured round-trip time. */
  latency(ms: number): void;
  /** Frames for the event pipeline: stored events, `reset`, `force-logout`. */
  frame(frame: SseFrame): void;
  state(state: NetworkState): void;
}
