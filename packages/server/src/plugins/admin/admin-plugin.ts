import { queryToken } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import type { HubPlugin } from '../../core/hub-plugin.js';
import type { Hub } from '../../core/hub-types.js';
import { requireBuiltin } from '../../core/node-builtins.js';
import { type HubResponse, json } from '../../http/hub-request.js';
import { startSysPublisher } from '../sys/sys-publisher.js';
import { ActivityTracker } from './activity-tracker.js';
import {
  DISCONNECT_QUESTION,
  type DisconnectTarget,
  disconnectHere,
  disconnectRoute,
} from './admin-disconnect.js';
import type { AdminHandle, AdminOptions } from './admin-options.js';
import { adminPage } from './admin-page.generated.js';
import { ADMIN_COOKIE, AdminSession } from './admin-session.js';
import { type HubStats, StatsSource } from './hub-stats.js';
import { mergeStats } from './merge-stats.js';

const STATS_QUESTION = 'tidings:admin-stats';

/**
 * The admin page and its API as a {@link HubPlugin}; also the {@link AdminHandle} of what it
 * installed.
 */
export interface AdminPlugin extends HubPlugin, AdminHandle {
  /**
   * Adds the routes, the tracker (as an observer), the `$sys` authorizer and the `$sys/stats`
   * timer. It needs only the public hub API, so `installAdmin` installs it on any {@link Hub}.
   * @throws {Error} when this plugin is already installed.
   */
  install(host: Hub): void;
}

/**
 * The admin feature of {@link installAdmin}, to install on a hub: `adminPlugin(o).install(hub)`.
 * The token is checked here, before anything is installed.
 * @throws {RangeError} when the token is shorter than 8 characters.
 * @see installAdmin for the routes it serves.
 */
export function adminPlugin(o: AdminOptions): AdminPlugin {
  if (typeof o.token !== 'string' || o.token.length < 8) {
    throw new RangeError('The admin token must be at least 8 characters long; generate a random one.');
  }
  const admin = new AdminSession(o.token);
  const tracker = o.tracker ?? new ActivityTracker(o);
  const maxListed = o.maxConnectionsListed ?? 100;
  const peers = o.peers;
  let stopInstalled: (() => void) | undefined;
  let installed = false;

  return {
    name: 'admin',
    tracker,
    stop() {
      stopInstalled?.();
    },
    install(hub) {
      if (installed) {
        throw new Error('This admin plugin is installed already; create another one for another hub.');
      }
      installed = true;
      hub.observe(tracker);
      const source = new StatsSource(hub, tracker, maxListed);
      const base = hub.options.basePath;

      const offStats = peers?.answer(STATS_QUESTION, () => source.stats());
      const offDisconnect = peers?.answer(DISCONNECT_QUESTION, (arg) =>
        disconnectHere(hub, (arg ?? {}) as DisconnectTarget),
      );
      /** This process's figures, or with peers the whole hub's (what answered in time). */
      const stats = async (): Promise<HubStats> => {
        const self = source.stats();
        if (!peers) return self;
        const all = await peers.ask<HubStats>(STATS_QUESTION);
        return mergeStats(all.answers, self, maxListed);
      };

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
        admin.require(req, base);
        const nonce = requireBuiltin('node:crypto', 'The admin page').randomBytes(16).toString('base64');
        return html(adminPage(nonce), nonce);
      });

      hub.route('GET', '/admin/stats', async (req) => {
        admin.require(req, base);
        return json(200, await stats(), { 'cache-control': 'no-store' });
      });

      hub.route('POST', '/admin/disconnect', async (req) => {
        admin.require(req, base);
        return disconnectRoute(hub, req, peers);
      });

      const stopTimer = startSysPublisher(hub, stats, {
        intervalMs: o.intervalMs,
        tick: () => source.sample(),
      });
      stopInstalled = () => {
        stopTimer();
        offStats?.();
        offDisconnect?.();
        source.close();
      };
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
