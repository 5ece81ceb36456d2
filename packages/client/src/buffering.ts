import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment } from './environment.js';

/**
 * A first frame later than this behind the headers means a buffering proxy. The hub sends its
 * greeting with the headers, so even a loaded machine stays far below it.
 */
export const BUFFERED_STREAM_MS = 2_000;

/** What the check reads of a connection that just got the hub's greeting. */
export interface GreetedConnection {
  readonly log: DebugLog;
  readonly env: Pick<ClientEnvironment, 'timers'>;
  /** `lastConnectedAt`: when the response headers arrived. */
  readonly s: { readonly lastConnectedAt: number | null };
}

/**
 * Warns when the hub's greeting came long after the response headers: something on the way
 * (a proxy or load balancer) buffers the stream. Debug sessions only; loaded lazily so the
 * client's core does not carry the sentence.
 */
export function warnIfBuffered(c: GreetedConnection): void {
  const late = c.env.timers.now() - (c.s.lastConnectedAt ?? c.env.timers.now());
  if (late < BUFFERED_STREAM_MS) return;
  c.log.warn(
    `The first event arrived ${late} ms after the response headers, so something between this client and the hub (a proxy or load balancer) buffers the stream and will deliver events late; turn response buffering off for the hub's path (nginx: pass the hub's X-Accel-Buffering: no header through, or set proxy_buffering off), see docs/guides/deployment.md#nginx.`,
  );
}
