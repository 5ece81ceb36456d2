import { randomBytes } from 'node:crypto';
import { queryToken } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import type { Hub } from '../../core/hub-types.js';
import type { HubPeers } from '../../engines/ipc/ipc-peers.js';
import { type HubRequest, type HubResponse, json } from '../../http/hub-request.js';
import { parseJsonBody } from '../../http/parse-json-body.js';
import { startSysPublisher } from '../sys/sys-publisher.js';
import { ActivityTracker, type ActivityTrackerOptions } from './activity-tracker.js';
import { adminPage } from './admin-page.generated.js';
import { ADMIN_COOKIE, AdminSession } from './admin-session.js';
import { type HubStats, StatsSource } from './hub-stats.js';
import { mergeStats } from './merge-stats.js';

/** Options of {@link installAdmin}. */
export interface AdminOptions extends ActivityTrackerOptions {
  /**
   * The admin token. It opens `GET /admin` (once as `?token=`, which sets a session cookie and
   * redirects, or as `Authorization: Bearer`), `GET /admin/stats`, `POST /admin/disconnect` and
   * subscriptions to `$sys/…` topics.
   */
  token: string;
  /** How often `$sys/stats` is sent to admin pages, in ms. @defaultValue 1000 */
  intervalMs?: number | undefined;
  /** Most connections listed in the stats (largest outbound queue first). @defaultValue 100 */
  maxConnectionsListed?: number | undefined;
  /** Use this tracker instead of creating one (it is observed all the same). */
  tracker?: ActivityTracker | undefined;
  /**
   * The other processes of this hub (`tidings serve --workers`): the stats, the page and
   * `$sys/stats` then cover every process (connections listed from all, figures summed), and a
   * disconnect reaches whichever process holds the connection.
   * @defaultValue none: this process only
   */
  peers?: HubPeers | undefined;
}

const STATS_QUESTION = 'tidings:admin-stats';
const DISCONNECT_QUESTION = 'tidings:admin-disconnect';

/** What {@link installAdmin} returns. */
export interface AdminHandle {
  /** The observer gathering the figures. */
  readonly tracker: ActivityTracker;
  /** Stops the `$sys/stats` timer and the event-loop monitor. Call it when the hub closes. */
  stop(): void;
}

/**
 * Serves the admin page and its API on `hub`, and lets admin-token holders subscribe to
 * `$sys/…` topics:
 *
 * - `GET /admin`: the dashboard (HTML, no external resources). It is itself a Tidings client:
 *   it subscribes to `$sys/stats` through `GET /events`.
 * - `GET /admin/stats`: the same figures as JSON (`tidings top` polls it).
 * - `POST /admin/disconnect` with `{"connection":"id"}` or `{"user":"u1"}`: closes connections
 *   on this node (on every process of the hub, with `peers`); clients reconnect (and are refused
 *   if their credentials were revoked).
 *
 * @throws {RangeError} when the token is shorter than 8 characters.
 */
export function installAdmin(hub: Hub, o: AdminOptions): AdminHandle {
  if (typeof o.token !== 'string' || o.token.length < 8) {
    throw new RangeError('The admin token must be at least 8 characters long; generate a random one.');
  }
  const admin = new AdminSession(o.token);
  const tracker = o.tracker ?? new ActivityTracker(o);
  hub.observe(tracker);
  const maxListed = o.maxConnectionsListed ?? 100;
  const source = new StatsSource(hub, tracker, maxListed);
  const base = hub.options.basePath;
  const peers = o.peers;

  /** Closes this process's connections named by id or user; returns their ids. */
  const disconnectHere = (target: { connection?: unknown; user?: unknown }): string[] => {
    const ids =
      typeof target.connection === 'string'
        ? hub.connections().some((c) => c.id === target.connection)
          ? [target.connection]
          : []
        : typeof target.user === 'string'
          ? hub
              .connections()
              .filter((c) => c.user === target.user)
              .map((c) => c.id)
          : [];
    for (const id of ids) hub.disconnect(id, 'disconnected');
    return ids;
  };
  const offStats = peers?.answer(STATS_QUESTION, () => source.stats());
  const offDisconnect = peers?.answer(DISCONNECT_QUESTION, (arg) =>
    disconnectHere((arg ?? {}) as { connection?: unknown; user?: unknown }),
  );
  /** This process's figures, or with peers the whole hub's (what answered in time). */
  const stats = async (): Promise<HubStats> => {
    const self = source.stats();
    if (!peers) return self;
    const all = await peers.ask<HubStats>(STATS_QUESTION);
    return mergeStats(all.answers, self, maxListed);
  };

  const requireAdmin = (req: HubRequest): void => admin.require(req, base);
  hub.sys.authorize((req) => admin.authorized(req));

  hub.route('GET', '/admin', async (req) => {
    // The hub takes ?token= off the URL before routing (so no log sees it); read it from there.
    const given = queryToken(req);
    if (given !== null) {
      if (!admin.isToken(given)) {
        throw new HubError(
          401,
          'unauthorized',
          'The admin token in the address does not match; check it and retry.',
        );
      }
      const secure = req.url.protocol === 'https:' || req.header('x-forwarded-proto') === 'https';
      // Lax, not Strict: a Strict cookie set while following a link from elsewhere would not be
      // sent with the redirect that follows. POSTs need JSON, which a cross-site form cannot send.
      return {
        status: 303,
        headers: {
          location: `${base}/admin`,
          'set-cookie': `${ADMIN_COOKIE}=${admin.cookieValue}; Path=${base || '/'}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
        },
        body: '',
      };
    }
    requireAdmin(req);
    const nonce = randomBytes(16).toString('base64');
    return html(adminPage(nonce), nonce);
  });

  hub.route('GET', '/admin/stats', async (req) => {
    requireAdmin(req);
    return json(200, await stats(), { 'cache-control': 'no-store' });
  });

  hub.route('POST', '/admin/disconnect', async (req) => {
    requireAdmin(req);
    const ctype = req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(ctype)) {
      throw new HubError(
        415,
        'unsupported-media-type',
        'POST /admin/disconnect takes application/json such as {"connection":"id"} or {"user":"u1"}.',
      );
    }
    // req.text's own 413 passes through: only the parse may answer invalid-json.
    const body = parseJsonBody(await req.text(4096), {
      maxDepth: hub.options.maxJsonDepth,
      hint: 'Send {"connection":"id"} or {"user":"u1"}.',
    }) as { connection?: unknown; user?: unknown } | null;
    const { connection, user } = body ?? {};
    if ((typeof connection === 'string') === (typeof user === 'string')) {
      throw new HubError(
        400,
        'bad-request',
        'Name exactly one of "connection" (a connection id) or "user" (a user id) as a string.',
      );
    }
    let ids: string[];
    if (peers) {
      const all = await peers.ask<string[]>(DISCONNECT_QUESTION, { connection, user });
      ids = all.answers.flat();
      if (ids.length === 0 && all.missing > 0) {
        throw new HubError(
          503,
          'unavailable',
          `${all.missing} of this hub's worker processes did not answer in time, and the others hold no such connection; retry.`,
          { missing: all.missing },
          { 'retry-after': '1' },
        );
      }
    } else {
      ids = disconnectHere({ connection, user });
    }
    const where = peers ? 'this hub' : 'this node';
    if (ids.length === 0) {
      throw new HubError(
        404,
        'not-found',
        typeof connection === 'string'
          ? `No connection "${connection}" is open on ${where}; it may have closed already.`
          : `User "${String(user)}" has no open connection on ${where}.`,
      );
    }
    return json(200, { node: hub.nodeId, disconnected: ids });
  });

  const stopTimer = startSysPublisher(hub, stats, {
    intervalMs: o.intervalMs,
    tick: () => source.sample(),
  });
  return {
    tracker,
    stop() {
      stopTimer();
      offStats?.();
      offDisconnect?.();
      source.close();
    },
  };
}

function html(body: string, nonce: string): HubResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    },
    body,
  };
}
