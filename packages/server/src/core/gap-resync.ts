import type { Logger } from './logger.js';
import type { Subscriber } from './subscriber.js';

/**
 * What the hub does when its broker reports that this node may have missed events (see
 * `Broker.onGap`). Every event stream has a resume point (the client's `Last-Event-ID`, the last
 * event it received, or the position its `connected` frame announced), so each is closed: the
 * client reconnects with that id and replays exactly what it missed from shared history, or gets
 * `reset` if history lost it, followed by every event of the history that replaced it (see
 * `ResumePoint.replayFrom`). Never a silent gap. `$sys` streams carry no stored events and stay. Every WebSocket is closed: its client always
 * holds an id to resume from.
 */
export function resyncAfterGap(conns: Iterable<Subscriber>, log: Logger): void {
  let closed = 0;
  for (const c of [...conns]) {
    if (c.isClosed() || !c.resumable) continue;
    c.close('resync');
    closed++;
  }
  log.warn({ closed }, 'this node may have missed events; its streams resume from history');
}
