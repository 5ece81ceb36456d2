import type { Hub } from '../../core/hub-types.js';
import { type InstallMetricsOptions, metricsPlugin } from './metrics-plugin.js';
import type { PrometheusObserver } from './prometheus-observer.js';

/**
 * Attaches a {@link PrometheusObserver} to `hub` and serves its registry at `GET /metrics` in the
 * Prometheus text format. It installs the metrics plugin on `hub`, through the same plugin
 * interface as the hub's own features.
 *
 * @example
 * ```ts
 * const hub = createHub();
 * installMetrics(hub, { token: process.env.METRICS_TOKEN, topicPrefixes: ['orders', 'tenant/acme'] });
 * ```
 * @returns the observer, whose `registry` can take application metrics too.
 * @see InstallMetricsOptions for every option and its default.
 */
export function installMetrics(hub: Hub, o: InstallMetricsOptions = {}): PrometheusObserver {
  const plugin = metricsPlugin(o);
  plugin.install(hub);
  return plugin.observer;
}
