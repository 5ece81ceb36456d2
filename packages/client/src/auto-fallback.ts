import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment } from './environment.js';
import type { TransportFailure } from './transport.js';
import type { TransportPolicy } from './transport-policy.js';

/**
 * `transport: 'auto'`: after a failed WebSocket upgrade, try SSE at once; if SSE opens, WebSockets
 * are blocked somewhere on the way (the hub, a proxy): stay on SSE and remember it for a day. If
 * SSE fails too, the hub is simply down: nothing is decided, the next attempt tries WebSocket.
 * @returns the policy's `settle`: true when the next attempt should start at once.
 */
export function autoFallback(
  policy: TransportPolicy,
  env: Pick<ClientEnvironment, 'storage' | 'timers'>,
  log: DebugLog,
): (failure: TransportFailure | undefined) => boolean {
  /** Just fell back from a failed WebSocket upgrade: SSE is on probation. */
  let probing = false;
  return (f) => {
    if (f === undefined) {
      if (probing) {
        probing = false;
        log.warn('WebSocket upgrades fail while SSE works: using SSE from now on.');
        try {
          env.storage?.setItem?.(policy.key, String(env.timers.now()));
        } catch {
          // Storage full or blocked: the choice lasts as long as this client.
        }
      }
      return false;
    }
    if (probing) {
      probing = false;
      policy.kind = 'websocket';
      return false;
    }
    if (policy.kind !== 'websocket' || f.kind !== 'refused') return false;
    log.debug(`${f.message} Trying SSE at once.`);
    policy.kind = 'sse';
    probing = true;
    return true;
  };
}
