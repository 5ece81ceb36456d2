import type { TopicPattern } from '@tidings/protocol';
import type { CloseReason, ConnectionInfo } from './observer.js';
import type { StoredEvent } from './stored-event.js';
import type { Indexed } from './subscriber-index.js';

/**
 * Encodes an event once for every subscriber of one dialect (an SSE frame, a WebSocket `event`
 * message): the registry calls it at most once per event and dialect, for the first subscriber
 * that takes it.
 */
export type FrameEncoder = (ev: StoredEvent) => Uint8Array;

/**
 * One open connection of any transport (an event stream, a WebSocket, a Mercure stream), as the
 * registry holds it: indexed by its topics, fed live events, kept alive, noticed and closed.
 */
export interface Subscriber extends Indexed, ConnectionInfo {
  /** The frame encoding it takes (see `Registry.addDialect`). */
  readonly dialect: number;
  /**
   * Whether its client holds an id to resume from: a resync after a broker gap closes it, so the
   * client resumes from history.
   */
  readonly resumable: boolean;
  /**
   * Live delivery: decides whether it accepts `ev`, then writes `frame` (shared by every
   * subscriber of its dialect; never modified). Returns whether it was written.
   */
  deliver(ev: StoredEvent, frame: Uint8Array): boolean;
  /** Keeps the connection alive; `frame` is the event streams' keep-alive of this beat. */
  heartbeat(frame: Uint8Array): void;
  /** Sends `notice` as the `reason` event or message (before a close for that reason). */
  notify(reason: CloseReason, notice: Record<string, unknown>): void;
  close(reason: CloseReason): void;
  isClosed(): boolean;
  /** The patterns under which it sits in the registry's index, to remove it once it closed. */
  indexedPatterns(): readonly TopicPattern[];
}
