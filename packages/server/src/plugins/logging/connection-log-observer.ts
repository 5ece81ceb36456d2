import type { HubError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CloseReason, ConnectionInfo, HubObserver } from '../../core/observer.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { HubRequest } from '../../http/hub-request.js';

/** Options of {@link ConnectionLogObserver}. */
export interface ConnectionLogOptions {
  /**
   * Also log each published event at `debug`, payload included. Off by default: payloads are the
   * application's data and may be personal. Only a logger at `debug` level prints them anyway.
   * @defaultValue false
   */
  debugPayloads?: boolean | undefined;
}

/**
 * Writes one structured `info` line when a connection opens and one when it closes (duration,
 * bytes, events, close reason), and a `warn` for requests refused by a limit (429). Failures inside the
 * hub are logged by the hub itself.
 *
 * What it never logs at `info`: tokens (it sees no headers and no query strings; the request path
 * is logged without its query), and payloads (only with `debugPayloads`, at `debug`).
 */
export class ConnectionLogObserver implements HubObserver {
  constructor(
    private readonly log: Logger,
    private readonly o: ConnectionLogOptions = {},
  ) {}

  connectionOpened(c: ConnectionInfo): void {
    this.log.info(
      { conn: c.id, transport: c.transport, user: c.user, topics: c.topics, remote: c.remoteAddress },
      'connection opened',
    );
  }

  connectionClosed(c: ConnectionInfo, reason: CloseReason): void {
    this.log.info(
      {
        conn: c.id,
        transport: c.transport,
        user: c.user,
        reason,
        durationMs: Date.now() - c.openedAt,
        events: c.eventsSent,
        bytes: c.bytesSent,
      },
      'connection closed',
    );
  }

  published(events: readonly StoredEvent[], durationMs: number): void {
    if (!this.o.debugPayloads) return;
    for (const ev of events) {
      this.log.debug(
        { id: ev.id, topic: ev.topic, type: ev.type, durationMs, data: ev.dataJson },
        'event published',
      );
    }
  }

  requestRejected(req: HubRequest, err: HubError): void {
    // 4xx are the caller's mistakes and, under attack, plentiful: debug. Limits hit are worth a warn.
    const fields = {
      method: req.method,
      path: req.path,
      status: err.status,
      code: err.code,
      remote: req.remoteAddress,
    };
    if (err.status === 429) this.log.warn(fields, err.message);
    else this.log.debug(fields, err.message);
  }
}
