import type { ClientEnvironment } from './environment.js';
import { fetchTransport } from './fetch-transport.js';
import type { ResolvedOptions } from './resolve-options.js';
import { lazyTransport, type Transport } from './transport.js';

/**
 * The transport for Server-Sent Events: streaming `fetch`, or with `useNativeEventSource` the
 * host's `EventSource` (its code loaded on first use, so apps that stream with fetch never
 * download it).
 * @throws {TypeError} when the environment lacks what the chosen one needs.
 */
export function sseTransport(o: ResolvedOptions, env: ClientEnvironment): Transport {
  if (o.useNativeEventSource) {
    const ES = env.EventSource;
    if (!ES) {
      throw new TypeError(
        'useNativeEventSource needs EventSource, which this environment lacks: drop the option to stream with fetch, or pass environment.EventSource (for example from the "eventsource" package).',
      );
    }
    return lazyTransport(() => import('./event-source-transport.js').then((m) => m.eventSourceTransport(ES)));
  }
  if (!env.fetch) {
    throw new TypeError(
      'This environment has no fetch: pass environment.fetch, or set useNativeEventSource to use EventSource.',
    );
  }
  return fetchTransport(env.fetch, env.timers);
}
