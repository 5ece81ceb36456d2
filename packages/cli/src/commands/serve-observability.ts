import {
  ConnectionLogObserver,
  type Hub,
  HubError,
  type HubPeers,
  installAdmin,
  installMetrics,
  type Logger,
} from '@tidings/server';
import { UsageError } from '../usage-error.js';

/** The `tidings serve` flags this module reads. */
export interface ObservabilityFlags {
  'metrics-token'?: string | undefined;
  'admin-token'?: string | undefined;
  'topic-labels'?: string | undefined;
}

/** Usage lines of the observability flags, for `tidings serve --help`. */
export const OBSERVABILITY_USAGE = `  --metrics-token <t>      Require "Authorization: Bearer <t>" on /metrics (or $TIDINGS_METRICS_TOKEN)
  --admin-token <t>        Turn on /admin and $sys topics for this token (or $TIDINGS_ADMIN_TOKEN)
  --topic-labels <list>    Topic prefixes that become metric labels, e.g. orders,tenant/acme
                           [first topic segment, 50 at most]
`;

/**
 * Wires metrics (`/metrics`), per-connection info logs and, with an admin token, the admin page
 * into a hub started by `tidings serve`. With `peers` (the other workers of `--workers`), metrics
 * and the admin page cover every worker.
 * @returns a function to call at shutdown.
 */
export function observability(
  hub: Hub,
  logger: Logger,
  level: string,
  flags: ObservabilityFlags,
  peers?: HubPeers,
): () => void {
  const metricsToken = flags['metrics-token'] ?? (process.env.TIDINGS_METRICS_TOKEN || undefined);
  const adminToken = flags['admin-token'] ?? (process.env.TIDINGS_ADMIN_TOKEN || undefined);
  if (metricsToken !== undefined && metricsToken.length === 0) {
    throw new UsageError('--metrics-token is empty; pass a secret, or leave it out for an open /metrics.');
  }
  if (adminToken !== undefined && adminToken.length < 8) {
    throw new UsageError('--admin-token must be at least 8 characters long; generate a random one.');
  }
  const prefixes = flags['topic-labels']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    installMetrics(hub, { token: metricsToken, topicPrefixes: prefixes, peers });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--topic-labels: ${e.message}`);
    throw e;
  }
  hub.observe(new ConnectionLogObserver(logger, { debugPayloads: level === 'debug' || level === 'trace' }));
  if (adminToken === undefined) {
    const off = async (): Promise<never> => {
      throw new HubError(
        404,
        'not-found',
        'The admin page is off; start the hub with --admin-token (or TIDINGS_ADMIN_TOKEN) to turn it on.',
      );
    };
    hub.route('GET', '/admin', off);
    hub.route('GET', '/admin/stats', off);
    return () => {};
  }
  return installAdmin(hub, { token: adminToken, peers }).stop;
}
