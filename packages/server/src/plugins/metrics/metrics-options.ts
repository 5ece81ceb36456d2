import type { Registry } from 'prom-client';
import type { LabelPolicyOptions } from './label-policy.js';

/** Options of {@link PrometheusObserver} and {@link installMetrics}. */
export interface MetricsOptions extends LabelPolicyOptions {
  /**
   * The registry to register in. Pass your application's to serve one `/metrics` for both.
   * @defaultValue a new `Registry` per observer (several hubs in one process do not collide)
   */
  registry?: Registry | undefined;
  /** Prefix of every metric name. @defaultValue "tidings_" */
  prefix?: string | undefined;
  /**
   * Also collect prom-client's Node.js process metrics: event-loop lag
   * (`nodejs_eventloop_lag_seconds`), heap (`nodejs_heap_size_used_bytes`), CPU, GC, handles.
   * @defaultValue true
   */
  processMetrics?: boolean | undefined;
  /**
   * Most topic × type label pairs per event counter. Past it, a new pair is counted under
   * `{topic="_other",type="_other"}`, so the series count stays bounded even when both bounds of
   * the label policy are reached at once.
   * @defaultValue 500
   */
  maxLabelPairs?: number | undefined;
  /** Buckets of the latency histograms, in seconds. @defaultValue 0.5 ms to 5 s */
  latencyBuckets?: readonly number[] | undefined;
}

/** What the metrics route reads from an observer. */
export interface MetricsScrape {
  readonly registry: Registry;
  render(): Promise<string>;
}
