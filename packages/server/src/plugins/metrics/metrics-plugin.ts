import type { HubPlugin } from '../../core/hub-plugin.js';
import type { Hub } from '../../core/hub-types.js';
import type { HubPeers } from '../../engines/ipc/ipc-peers.js';
import type { MetricsOptions } from './metrics-options.js';
import { METRICS_QUESTION, metricsRoute } from './metrics-route.js';
import { PrometheusObserver } from './prometheus-observer.js';

/** Options of {@link installMetrics}. */
export interface InstallMetricsOptions extends MetricsOptions {
  /**
   * When set, `GET /metrics` requires `Authorization: Bearer <token>` (Prometheus:
   * `authorization: { credentials: … }` in the scrape config).
   * @defaultValue none: open to whoever can reach the hub
   */
  token?: string | undefined;
  /** Path of the endpoint, relative to the hub's `basePath`. @defaultValue "/metrics" */
  path?: string | undefined;
  /** An observer to use instead of creating one (it is bound and observed all the same). */
  observer?: PrometheusObserver | undefined;
  /**
   * The other processes of this hub (`tidings serve --workers`): `GET /metrics` on any of them
   * then answers with every process's metrics aggregated by prom-client's `AggregatorRegistry`
   * (counters, histograms and connection gauges summed, the largest outbound queue as a maximum),
   * and refuses with 503 when a process does not report in time rather than under-count.
   * Metrics of a worker that exited go with it, which Prometheus reads as a counter reset.
   * @defaultValue none: this process's metrics only
   */
  peers?: HubPeers | undefined;
}

/** The Prometheus metrics as a {@link HubPlugin}, with the observer that keeps them. */
export interface MetricsPlugin extends HubPlugin {
  /** The observer, whose `registry` can take application metrics too. */
  readonly observer: PrometheusObserver;
  /**
   * Binds and adds the observer and serves `GET /metrics`. It needs only the public hub API, so
   * `installMetrics` installs it on any {@link Hub}.
   * @throws {Error} when this plugin is already installed.
   */
  install(host: Hub): void;
}

/**
 * The metrics feature of {@link installMetrics}, to install on a hub:
 * `metricsPlugin(o).install(hub)`. The options are checked here, before anything is installed.
 * @throws {RangeError} when the token is empty, or a metrics option is out of range.
 * @see installMetrics for what it serves.
 */
export function metricsPlugin(o: InstallMetricsOptions = {}): MetricsPlugin {
  if (o.token !== undefined && o.token.length === 0) {
    throw new RangeError('The metrics token is empty; pass a secret or leave it unset for an open endpoint.');
  }
  const observer = o.observer ?? new PrometheusObserver(o);
  const { token, peers } = o;
  let installed = false;
  return {
    name: 'metrics',
    observer,
    install(hub) {
      if (installed) {
        throw new Error('This metrics plugin is installed already; create another one for another hub.');
      }
      installed = true;
      observer.bind(hub);
      hub.observe(observer);
      peers?.answer(METRICS_QUESTION, () => observer.registry.getMetricsAsJSON());
      hub.route('GET', o.path ?? '/metrics', (req) => metricsRoute(req, observer, token, peers));
    },
  };
}
