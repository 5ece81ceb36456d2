import type { ClientEnvironment } from './environment.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { TransportFailure } from './transport.js';

/** Where `transport: 'auto'` remembers that WebSockets do not get through. */
const TRANSPORT_STORAGE_PREFIX = 'tidings-transport:';
/** How long that is remembered before WebSockets are tried again. */
const REMEMBER_SSE_MS = 86_400_000;

/**
 * Which transport a connection uses. The connection reads `kind` before each attempt and tells
 * `settle` how each attempt went; it knows nothing of why the choice changes. A fixed transport
 * has no `settle`; `transport: 'auto'` installs one (`autoFallback`) with the WebSocket code.
 */
export interface TransportPolicy {
  /** The transport of the next attempt. */
  kind: 'sse' | 'websocket';
  /** Where the choice is remembered in `environment.storage`. */
  readonly key: string;
  /**
   * Called when a stream opened (`undefined`) and after each failure. True means the policy
   * changed `kind` and the next attempt should start at once, without backoff.
   */
  settle?: ((failure: TransportFailure | undefined) => boolean) | undefined;
}

/**
 * The policy a new connection starts with: the configured transport, except that `'auto'` starts
 * on SSE when it fell back less than a day ago.
 */
export function transportPolicy(o: ResolvedOptions, env: ClientEnvironment): TransportPolicy {
  const key = TRANSPORT_STORAGE_PREFIX + o.webSocketUrl.href;
  let remembered = false;
  try {
    // A missing entry is NaN: never recent.
    remembered = env.timers.now() - Number(env.storage?.getItem(key)) < REMEMBER_SSE_MS;
  } catch {
    // Storage blocked: nothing remembered.
  }
  return {
    key,
    kind: o.transport === 'sse' || (o.transport === 'auto' && remembered) ? 'sse' : 'websocket',
  };
}
