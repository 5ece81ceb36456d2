import { comparePositions, encodeSseFrame, type ResetReason } from '@tidings/protocol';
import { type HistoryStore, resumePosition, type TopicFilter } from '../engines/history-store.js';
import type { SlowConsumerRule } from './slow-consumer-rule.js';
import type { StoredEvent } from './stored-event.js';

/** What the catch-up reports back to the hub. */
export interface CatchUpResult {
  replayed: number;
  reset: ResetReason | undefined;
  /**
   * The history position the subscriber went live after: every later event it may read reached
   * it live. Undefined after a reset or a close.
   */
  liveAfter: string | undefined;
}

/**
 * The limits of one hub's replays, in events and bytes (see {@link replayLimits}).
 */
export interface ReplayLimits {
  /** Most events read from the store per page (`replayPageSize`). */
  readonly pageSize: number;
  /** Bytes of events one page may hold: pages of big events hold fewer of them. */
  readonly pageBytes: number;
  /** A replay writes while the target's queue is under this, and waits for the socket otherwise. */
  readonly highWater: number;
  /** Most live events held during a replay (`maxReplayBuffer`). */
  readonly pendingEvents: number;
  /** Most bytes of live events held during a replay (`maxReplayBufferBytes`). */
  readonly pendingBytes: number;
}

/** The bytes one page of history may hold: enough for a socket to stay busy, little to keep. */
export const REPLAY_PAGE_BYTES = 1024 * 1024;

/**
 * The first page of a replay reads at most this many events: their size (unknown until read)
 * then decides how many the next page reads, so a page of 64 KiB events never holds 500 of them.
 */
const FIRST_PAGE = 32;

/** The replay limits of a hub with these options, pacing replays by `rule`'s high-water mark. */
export function replayLimits(
  o: {
    readonly replayPageSize: number;
    readonly maxReplayBuffer: number;
    readonly maxReplayBufferBytes: number;
  },
  rule: Pick<SlowConsumerRule, 'replayHighWater'>,
): ReplayLimits {
  return {
    pageSize: o.replayPageSize,
    pageBytes: REPLAY_PAGE_BYTES,
    highWater: rule.replayHighWater,
    pendingEvents: o.maxReplayBuffer,
    pendingBytes: o.maxReplayBufferBytes,
  };
}

/**
 * What one held event costs, in bytes: its payload and names (string lengths, close enough for
 * a bound) plus the object around them.
 */
export function heldBytes(ev: StoredEvent): number {
  return ev.dataJson.length + ev.id.length + ev.topic.length + ev.type.length + 128;
}

/**
 * What a catch-up drives: an SSE stream, or one subscription of a WebSocket connection. Each
 * transport encodes replayed events and the reset notice in its own format.
 */
export interface ReplayTarget {
  state: 'replaying' | 'live' | 'closed';
  /** Live events that arrived during replay, in dispatch order. */
  pending: StoredEvent[];
  /** {@link heldBytes} of `pending`. */
  pendingBytes: number;
  /** Set when `pending` overflowed and was dropped: the replay must read further. */
  pendingOverflowed: boolean;
  /**
   * Set when the replay hands over: the last position it covered. Live events up to it may still
   * arrive from a broker behind shared history; the target skips them.
   */
  replayedThrough: string | undefined;
  isClosed(): boolean;
  /** Whether this subscriber may receive `ev` now (it may also skip what it already sent). */
  accepts(ev: StoredEvent): boolean;
  /**
   * Whether this subscriber may read `ev` at all (grant, targeted delivery, Mercure privacy),
   * whatever it already received: what decides whether a supplied `Last-Event-ID` names an event
   * it can resume after.
   */
  mayRead(ev: StoredEvent): boolean;
  /**
   * The topics on which a supplied `Last-Event-ID` may name the resume point, when wider than
   * the topics replayed (a WebSocket subscription added to a connection: the client's last id
   * may come from any of the connection's topics). Default: the replay's own filter.
   */
  resumeFilter?(): TopicFilter;
  /**
   * Writes an event from history (or held back during replay). Replayed bytes are paced by
   * {@link ReplayTarget.waitDrain}, so they are never judged by the slow-consumer rule.
   */
  replay(ev: StoredEvent): void;
  /** Writes the reset notice. */
  sendReset(reason: ResetReason, lastEventId: string): void;
  /** Bytes queued for the peer. */
  readonly bufferedBytes: number;
  /** Resolves when the peer has read enough of the queue (or went away), however long it takes. */
  waitDrain(): Promise<void>;
}

/**
 * Holds a live event that arrived during `target`'s replay. Past either limit the held events
 * are dropped: every live event is already durable, so the replay reads further instead.
 */
export function holdLive(target: ReplayTarget, ev: StoredEvent, limits: ReplayLimits): void {
  const bytes = heldBytes(ev);
  if (target.pending.length >= limits.pendingEvents || target.pendingBytes + bytes > limits.pendingBytes) {
    target.pending = [];
    target.pendingBytes = 0;
    target.pendingOverflowed = true;
  }
  target.pending.push(ev);
  target.pendingBytes += bytes;
}

const encoder = new TextEncoder();

/** The `event: reset` frame. */
export function resetFrame(reason: ResetReason, lastEventId: string): Uint8Array {
  return encoder.encode(encodeSseFrame({ event: 'reset', data: JSON.stringify({ reason, lastEventId }) }));
}

/**
 * Brings a resuming connection up to date, then switches it to live, with no gap and no
 * duplicate even while publishers are busy.
 *
 * The connection was registered with the dispatcher (in `replaying` state) before this runs, so
 * every event dispatched from then on sits in `conn.pending`. History is read page by page after
 * the resume position; then pending events newer than the last replayed position are written and
 * the connection goes live. Since an event is durable before it is dispatched, whatever pending
 * drops on overflow is found by reading further.
 *
 * The socket paces the replay: an event is written only while the target's queue is under
 * `limits.highWater`, else the replay waits for the peer to read. A reader that reads at any rate
 * finishes, whatever the backlog; the hub holds one page (at most `limits.pageBytes` plus one
 * event), the queue's high-water mark and the held live events per replaying reader. Held live
 * events are written the same way, until few enough remain to hand over to live at once.
 *
 * If the id is unknown (or, for a supplied id, only names events the subscriber may not read),
 * or retention removed events the subscriber would have received, a `reset` frame goes first and
 * the connection goes live without replay: the client refetches.
 * When the id belongs to a history the store lost (`ResumePoint.replayFrom`), the reset is
 * followed by every event of the new history, since all of them are newer than the client's id.
 * With `truncation: 'ignore'` the replay sends whatever history still holds instead (a face whose
 * caller checked for truncation itself, such as Mercure's, whose clients expect every retained
 * update).
 */
export async function catchUp(
  store: HistoryStore,
  conn: ReplayTarget,
  filter: TopicFilter,
  from: { readonly lastEventId: string } | { readonly pos: string },
  limits: ReplayLimits,
  truncation: 'reset' | 'ignore' = 'reset',
): Promise<CatchUpResult> {
  let cursor: string;
  let lastEventId: string;
  let reset: ResetReason | undefined;
  if ('pos' in from) {
    // A fresh stream: only what was appended between reading the head and registering.
    cursor = from.pos;
    lastEventId = store.idAt(from.pos);
  } else {
    lastEventId = from.lastEventId;
    // A supplied id counts only through an event this subscriber may read on its own topics;
    // anything else answers exactly like an id that never existed.
    const scope = conn.resumeFilter?.() ?? filter;
    const point = await store.resolve(lastEventId, scope);
    const pos = resumePosition(point, (ev) => conn.mayRead(ev));
    if (pos === undefined) {
      conn.sendReset('unknown-id', lastEventId);
      const replayFrom = point.kind === 'unknown' ? point.replayFrom : undefined;
      if (replayFrom === undefined) {
        goLive(conn, undefined);
        return { replayed: 0, reset: 'unknown-id', liveAfter: undefined };
      }
      // The id belongs to a lost history: everything held now came after the loss, so it all
      // follows the reset (the hand-over to live is the same as for any replay).
      reset = 'unknown-id';
      cursor = replayFrom;
    } else {
      cursor = pos;
    }
  }
  let replayed = 0;
  const closed = (): CatchUpResult => ({ replayed, reset, liveAfter: undefined });
  let count = Math.min(limits.pageSize, FIRST_PAGE);
  for (;;) {
    // History, page by page, until a page comes back short with nothing dropped meanwhile.
    for (;;) {
      if (conn.isClosed()) return closed();
      conn.pendingOverflowed = false;
      const page = await store.readAfter(cursor, filter, count);
      if (conn.isClosed()) return closed();
      // After a reset for a lost history, what the new one still holds is sent as is: the client
      // already knows it must refetch.
      if (page.truncated && truncation === 'reset' && reset === undefined) {
        conn.sendReset('history-truncated', lastEventId);
        goLive(conn, undefined);
        return { replayed, reset: 'history-truncated', liveAfter: undefined };
      }
      let bytes = 0;
      for (const ev of page.events) {
        bytes += heldBytes(ev);
        if (conn.accepts(ev)) {
          if (!(await room(conn, limits.highWater))) return closed();
          conn.replay(ev);
          replayed++;
        }
        cursor = ev.pos;
      }
      const full = page.events.length >= count;
      if (page.events.length > 0) {
        const fit = Math.floor((limits.pageBytes * page.events.length) / bytes);
        count = Math.max(1, Math.min(limits.pageSize, fit));
      }
      if (!full && !conn.pendingOverflowed) break;
    }
    // Live events held meanwhile: written paced like history while there are many of them.
    while (!conn.pendingOverflowed) {
      if (conn.pendingBytes <= limits.highWater) {
        goLive(conn, cursor);
        return { replayed, reset, liveAfter: cursor };
      }
      const held = conn.pending;
      conn.pending = [];
      conn.pendingBytes = 0;
      for (const ev of held) {
        if (comparePositions(ev.pos, cursor) <= 0) continue;
        if (conn.accepts(ev)) {
          if (!(await room(conn, limits.highWater))) return closed();
          conn.replay(ev);
          replayed++;
        }
        cursor = ev.pos;
      }
    }
  }
}

/** Waits until `conn`'s queue is under `highWater`; false when the connection closed. */
async function room(conn: ReplayTarget, highWater: number): Promise<boolean> {
  // One wait: every sink's drain means "under its high-water mark", which is no higher than a
  // replay's plus one event (an empty socket queue, a Web stream under 64 KiB).
  if (conn.bufferedBytes >= highWater) await conn.waitDrain();
  return !conn.isClosed();
}

/** Flushes pending events newer than `cursor` (all of them when undefined) and goes live. */
function goLive(conn: ReplayTarget, cursor: string | undefined): void {
  if (conn.state !== 'replaying') return;
  const pending = conn.pending;
  conn.pending = [];
  conn.pendingBytes = 0;
  conn.state = 'live';
  // Live delivery may still be behind what the replay read (history is shared by several nodes).
  conn.replayedThrough = cursor;
  for (const ev of pending) {
    if (cursor !== undefined && comparePositions(ev.pos, cursor) <= 0) continue;
    if (conn.accepts(ev)) conn.replay(ev);
  }
}
