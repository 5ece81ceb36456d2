import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { secretEquals } from '../../auth/secret-equals.js';
import { bearerToken } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import type { HubPeers } from '../../engines/ipc/ipc-peers.js';
import type { HubRequest, HubResponse } from '../../http/hub-request.js';
import type { MetricsScrape } from './metrics-options.js';

/** The question the metrics route asks the other processes of a hub. */
export const METRICS_QUESTION = 'tidings:metrics';

/**
 * `GET /metrics`: the Prometheus text exposition, behind the metrics token when one is set; with
 * `peers`, every process's metrics aggregated (or 503 when one does not answer in time).
 */
export async function metricsRoute(
  req: HubRequest,
  obs: MetricsScrape,
  token: string | undefined,
  peers: HubPeers | undefined,
): Promise<HubResponse> {
  if (token !== undefined) {
    // An empty credential counts as none, so the error says how to send one.
    const given = bearerToken(req.header('authorization')) || undefined;
    if (given === undefined || !secretEquals(given, token)) {
      throw new HubError(
        401,
        'unauthorized',
        given === undefined
          ? 'The metrics endpoint needs the metrics token; send it as "Authorization: Bearer <token>".'
          : 'The metrics token does not match; check the scrape configuration.',
        undefined,
        { 'www-authenticate': 'Bearer realm="tidings-metrics"' },
      );
    }
  }
  if (peers) {
    const all = await peers.ask<MetricObjectWithValues<MetricValue<string>>[]>(METRICS_QUESTION);
    if (all.missing > 0) {
      throw new HubError(
        503,
        'unavailable',
        `${all.missing} of this hub's worker processes did not report their metrics in time, so the scrape is refused rather than under-counted; retry, and if it persists look for a stuck worker in the logs.`,
        { missing: all.missing },
        { 'retry-after': '5' },
      );
    }
    const merged = AggregatorRegistry.aggregate(all.answers as object[]);
    return {
      status: 200,
      headers: { 'content-type': merged.contentType, 'cache-control': 'no-store' },
      body: await merged.metrics(),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': obs.registry.contentType, 'cache-control': 'no-store' },
    body: await obs.render(),
  };
}
