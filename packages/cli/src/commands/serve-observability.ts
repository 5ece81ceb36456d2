import {
  ConnectionLogObserver,
  type Hub,
  HubError,
  type HubPeers,
  installAdmin,
  installMetrics,
  type Logger,
} from '@tidings/server';
import type { OptionRow } from '../help-table.js';
import { secretFromFlags } from '../secret-flag.js';
import { UsageError } from '../usage-error.js';

/** The `tidings serve` flags this module reads. */
export interface ObservabilityFlags {
  'metrics-token'?: string | undefined;
  'metrics-token-file'?: string | undefined;
  'metrics-public'?: boolean | undefined;
  'admin-token'?: string | undefined;
  'admin-token-file'?: string | undefined;
  'topic-labels'?: string | undefined;
  dev?: boolean | undefined;
}

/** The flag definitions of this module, for `parseFlags`. */
export const OBSERVABILITY_FLAGS = {
  'metrics-token': { type: 'string' },
  'metrics-token-file': { type: 'string' },
  'metrics-public': { type: 'boolean' },
  'admin-token': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'topic-labels': { type: 'string' },
} as const;

/** Help rows of the observability flags, for `tidings serve --help`. */
export const OBSERVABILITY_ROWS: readonly OptionRow[] = [
  {
    flags: '--metrics-token-file <f>',
    text: 'Require "Authorization: Bearer <token in f>" on /metrics (or $TIDINGS_METRICS_TOKEN). Without a token /metrics is closed (403), except with --dev or --metrics-public',
  },
  {
    flags: '--metrics-public',
    text: 'Serve /metrics to anyone who can reach the hub (a private network, or a proxy that guards it)',
  },
  {
    flags: '--admin-token-file <f>',
    text: 'Turn on /admin and $sys topics for the token in f (or $TIDINGS_ADMIN_TOKEN)',
  },
  {
    flags: '--metrics-token <t>, --admin-token <t>',
    text: 'The same tokens on the command line: they work, but every user of the machine sees them in the process list (warning)',
  },
  {
    flags: '--topic-labels <list>',
    text: 'Topic prefixes that become metric labels, e.g. orders,tenant/acme; without it, the first topic segment (50 labels at most)',
  },
];

/** The observability secrets, resolved, and warnings about where they came from. */
export interface ObservabilitySecrets {
  metricsToken: string | undefined;
  adminToken: string | undefined;
  /** Sentences for stderr: secrets given on the command line. */
  warnings: string[];
}

/**
 * Resolves `--metrics-token(-file)` and `--admin-token(-file)` (files, then the environment, then
 * the command line with a warning) and checks them.
 * @throws UsageError naming the flag when a token is unusable.
 */
export function observabilitySecrets(
  flags: ObservabilityFlags,
  env: NodeJS.ProcessEnv = process.env,
): ObservabilitySecrets {
  const metrics = secretFromFlags({
    flag: 'metrics-token',
    value: flags['metrics-token'],
    file: flags['metrics-token-file'],
    envName: 'TIDINGS_METRICS_TOKEN',
    env,
  });
  const admin = secretFromFlags({
    flag: 'admin-token',
    value: flags['admin-token'],
    file: flags['admin-token-file'],
    envName: 'TIDINGS_ADMIN_TOKEN',
    env,
  });
  if (metrics.value !== undefined && metrics.value.length === 0) {
    throw new UsageError(
      '--metrics-token is empty; pass a secret (--metrics-token-file), or --metrics-public for an open /metrics.',
    );
  }
  if (metrics.value !== undefined && flags['metrics-public']) {
    throw new UsageError(
      '--metrics-public and a metrics token exclude each other: either /metrics is open, or it needs the token.',
    );
  }
  if (admin.value !== undefined && admin.value.length < 8) {
    throw new UsageError('--admin-token must be at least 8 characters long; generate a random one.');
  }
  return {
    metricsToken: metrics.value,
    adminToken: admin.value,
    warnings: [metrics.warning, admin.warning].filter((w): w is string => w !== undefined),
  };
}

/** `GET /metrics` of a hub started without a metrics token, outside `--dev`. */
async function metricsClosed(): Promise<never> {
  throw new HubError(
    403,
    'forbidden',
    '/metrics is closed because this hub was started without a metrics token; start it with --metrics-token-file <file> (or TIDINGS_METRICS_TOKEN) and scrape with that token as a bearer token (Prometheus: authorization.credentials_file), or with --metrics-public on a private network.',
    { option: 'metrics-token' },
  );
}

/**
 * Wires metrics (`/metrics`), per-connection info logs and, with an admin token, the admin page
 * into a hub started by `tidings serve`. `/metrics` needs the metrics token; without one it is
 * closed (403 saying how to open it) unless `--dev` or `--metrics-public`. With `peers` (the other
 * workers of `--workers`), metrics and the admin page cover every worker.
 * @returns a function to call at shutdown.
 */
export function observability(
  hub: Hub,
  logger: Logger,
  level: string,
  flags: ObservabilityFlags,
  peers?: HubPeers,
): () => void {
  const { metricsToken, adminToken } = observabilitySecrets(flags);
  const prefixes = flags['topic-labels']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (metricsToken === undefined && !flags.dev && !flags['metrics-public']) {
    // Closed: no observer either, as nobody can read what it would count.
    hub.route('GET', '/metrics', metricsClosed);
  } else {
    try {
      installMetrics(hub, { token: metricsToken, topicPrefixes: prefixes, peers });
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`--topic-labels: ${e.message}`);
      throw e;
    }
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
