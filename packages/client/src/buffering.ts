import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment } from './environment.js';

/**
 * A first frame later than this behind the headers means a buffering proxy. The hub sends its
 * greeting with the headers, so even a loaded machine stays far below it.
 */
export const BUFFERED_STREAM_MS = 2_000;

/**
 * Warns when the hub's greeting came long after the response headers: something on the way
 * (a proxy or load balancer) buffers the stream. Debug sessions only; loaded lazily so the
 * client's core does not carry the sentence.
 */
export function warnIfBuffered(
  log: DebugLog,
  env: Pick<ClientEnvironment, 'timers'>,
  /** The connection's state: `lastConnectedAt` is when the response headers arrived. */
  state: { readonly lastConnectedAt: number | null },
): void {
  const late = env.timers.now() - (state.lastConnectedAt ?? env.timers.now());
  if (late < BUFFERED_STREAM_MS) return;
  log.warn(
    `The first event arrived ${late} ms after the response headers, so something between this client and the hub (a proxy or load balancer) buffers the stream and will deliver events late; turn response buffering off for the hub's path (nginx: pass the hub's X-Accel-Buffering: no header through, or set proxy_buffering off), see docs/guides/deployment.md#nginx.`,
  );
}
