import type { EventSourceConstructor, EventSourceMessage } from './environment.js';
import type { Transport } from './transport.js';

/** The hub's own event types (`SYSTEM_EVENTS`), inlined so this lazy chunk shares no module with the core. */
const SYSTEM = ['connected', 'heartbeat', 'reset', 'token-expired', 'force-logout'];

/** `EventSource.CLOSED`: the browser gave up on the request (a non-200 status or wrong type). */
const CLOSED = 2;

/**
 * A transport over the host's `EventSource`, for environments without streaming `fetch`. It
 * cannot send headers (the token goes in `?token=`, the resume id in `?lastEventId=`), cannot see
 * HTTP statuses or `retry:`, and only receives the event types it listens for by name.
 *
 * The EventSource's own reconnection is switched off by closing it on the first error: the
 * client's backoff, watchdog and token refresh decide instead.
 */
export function eventSourceTransport(ES: EventSourceConstructor): Transport {
  return (req, h) => {
    const es = new ES(req.url, { withCredentials: req.credentials === 'include' });
    let opened = false;
    let done = false;
    const listening = new Set<string>();
    const finish = (f: Parameters<typeof h.close>[0]) => {
      if (done) return;
      done = true;
      es.close();
      h.close(f);
    };
    const listen = (type: string) => {
      if (listening.has(type)) return;
      listening.add(type);
      es.addEventListener(type, (e: EventSourceMessage) => {
        if (done) return;
        h.activity();
        // lastEventId on a MessageEvent is the stream's last id so far, also for frames that
        // carried none; only stored events carry one on the wire.
        const id = SYSTEM.includes(type) ? undefined : e.lastEventId || undefined;
        h.frame({ id, event: type, data: e.data });
      });
    };
    es.addEventListener('open', () => {
      if (done) return;
      opened = true;
      h.open();
    });
    es.addEventListener('error', () => {
      if (done) return;
      if (opened) {
        finish({ kind: 'network', message: 'The event stream was interrupted.' });
      } else if (es.readyState === CLOSED) {
        finish({
          kind: 'refused',
          message:
            'The hub refused the event stream; EventSource does not reveal the HTTP status. Check the token and topics, or use the default fetch transport to see the reason.',
        });
      } else {
        finish({ kind: 'network', message: 'Cannot reach the hub.' });
      }
    });
    for (const t of [...SYSTEM, 'message']) listen(t);
    for (const t of req.eventTypes) listen(t);
    return {
      close() {
        done = true;
        es.close();
      },
      listen,
    };
  };
}

// The debug check for buffering proxies rides in this lazy chunk, which the core already names:
// that costs the core almost nothing (see connection.ts, case 'connected').
export { warnIfBuffered as w } from './buffering.js';
