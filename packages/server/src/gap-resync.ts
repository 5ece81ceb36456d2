import { resetFrame } from './catch-up.js';
import type { Logger } from './logger.js';
import type { SseConnection } from './sse-connection.js';

/**
 * What the hub does when its broker reports that this node may have missed events (see
 * `Broker.onGap`). A stream whose client holds an event id is closed: the client reconnects with
 * `Last-Event-ID` and replays exactly what it missed from shared history (or gets `reset` if
 * history lost it). A stream that has no id to resume from gets `reset` (refetch your state) and
 * stays open. Either way the gap is never silent.
 */
export function resyncAfterGap(
  conns: Iterable<SseConnection>,
  log: Logger,
  resetSent: (conn: SseConnection) => void,
): void {
  let resumed = 0;
  let reset = 0;
  for (const c of [...conns]) {
    if (c.isClosed()) continue;
    if (c.resumable) {
      c.close('resync');
      resumed++;
    } else {
      c.write(resetFrame('history-truncated', ''));
      resetSent(c);
      reset++;
    }
  }
  log.warn({ resumed, reset }, 'this node may have missed events; streams resume from history');
}
