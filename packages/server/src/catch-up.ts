import { comparePositions, encodeSseFrame, type ResetReason } from '@tidings/protocol';
import type { StoredEvent } from './stored-event.js';
import { type HistoryStore, resumePosition, type TopicFilter } from './stores/history-store.js';

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
 * What a catch-up drives: an SSE stream, or one subscription of a WebSocket connection. Each
 * transport encodes replayed events and the reset notice in its own format.
 */
export interface ReplayTarget {
  state: 'replaying' | 'live' | 'closed';
  /** Live events that arrived during replay, in dispatch order. */
  pending: StoredEvent[];
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
  /** Writes an event from history (or held back during replay). */
  replay(ev: StoredEvent): void;
  /** Writes the reset notice. */
  sendReset(reason: ResetReason, lastEventId: string): void;
  /** Bytes queued for the peer. */
  readonly bufferedBytes: number;
  /** Resolves when the peer has read enough of the queue (or went away). */
  waitDrain(): Promise<void>;
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
  pageSize: number,
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
  for (;;) {
    if (conn.isClosed()) return { replayed, reset, liveAfter: undefined };
    conn.pendingOverflowed = false;
    const page = await store.readAfter(cursor, filter, pageSize);
    if (conn.isClosed()) return { replayed, reset, liveAfter: undefined };
    // After a reset for a lost history, what the new one still holds is sent as is: the client
    // already knows it must refetch.
    if (page.truncated && truncation === 'reset' && reset === undefined) {
      conn.sendReset('history-truncated', lastEventId);
      goLive(conn, undefined);
      return { replayed, reset: 'history-truncated', liveAfter: undefined };
    }
    for (const ev of page.events) {
      if (conn.accepts(ev)) {
        conn.replay(ev);
        replayed++;
      }
      cursor = ev.pos;
    }
    if (page.events.length < pageSize && !conn.pendingOverflowed) break;
    // A long replay must not trip the slow-consumer limit: wait for the client to read.
    if (conn.bufferedBytes > 0) await conn.waitDrain();
  }
  goLive(conn, cursor);
  return { replayed, reset, liveAfter: cursor };
}

/** Flushes pending events newer than `cursor` (all of them when undefined) and goes live. */
function goLive(conn: ReplayTarget, cursor: string | undefined): void {
  if (conn.state !== 'replaying') return;
  const pending = conn.pending;
  conn.pending = [];
  conn.state = 'live';
  // Live delivery may still be behind what the replay read (history is shared by several nodes).
  conn.replayedThrough = cursor;
  for (const ev of pending) {
    if (cursor !== undefined && comparePositions(ev.pos, cursor) <= 0) continue;
    if (conn.accepts(ev)) conn.replay(ev);
  }
}
