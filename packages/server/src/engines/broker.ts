import type { StoredEvent } from '../core/stored-event.js';

/** Receives stored events from every node, in position order per topic. */
export type BrokerListener = (events: readonly StoredEvent[]) => void;

/**
 * A node-to-node message that is not an event: a forced disconnect, a token revocation, a
 * presence update. `kind` names the feature that owns it.
 */
export interface ControlMessage {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** Receives control messages from every node (including the sending one). */
export type ControlListener = (message: ControlMessage) => void;

/**
 * Fans stored events out to every hub node, itself included. Separate from the history store:
 * the store decides what is durable and where it sits in order, the broker only carries it.
 *
 * Contract (checked by `runBrokerSuite` from `@tidings/server/testing`):
 * - Every listener on every node receives every published event exactly once, in the order the
 *   events were published per topic.
 * - `publish` is only called with events the store already holds.
 * - Control messages reach every node's control listeners.
 *
 * @see MemoryBroker for the single-process broker.
 */
export interface Broker {
  /** Short name for logs and `/healthz`, e.g. `"memory"`. */
  readonly kind: string;
  /** Sends stored events to all nodes. */
  publish(events: readonly StoredEvent[]): Promise<void>;
  /** Adds a listener for events from all nodes; returns the function that removes it. */
  subscribe(listener: BrokerListener): () => void;
  /** Sends a control message to all nodes. */
  sendControl(message: ControlMessage): Promise<void>;
  /** Adds a listener for control messages; returns the function that removes it. */
  onControl(listener: ControlListener): () => void;
  /**
   * Adds a listener called when this node may have missed events: its link to the other nodes
   * was cut for longer than the broker can buffer, or the backend lost its data. The hub then
   * makes every stream on this node resume from history, so no gap goes unnoticed. Brokers that
   * cannot miss events (the in-process one) do not implement it.
   */
  onGap?(listener: () => void): () => void;
  /** Stops delivery and releases resources. */
  close(): Promise<void>;
}
