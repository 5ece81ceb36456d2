import type { HubPlugin } from '../core/hub-plugin.js';
import { MercureAuth, stripAuthorizationParam } from './mercure-auth.js';
import { MercureDispatcher } from './mercure-dispatcher.js';
import type { MercureFace } from './mercure-face.js';
import { MERCURE_PATH, type MercureOptions, SUBSCRIPTIONS_PATH } from './mercure-options.js';
import { publishRoute } from './publish-route.js';
import { subscribeRoute } from './subscribe-route.js';
import { ActiveSubscriptions } from './subscriptions.js';
import { subscriptionsApi } from './subscriptions-api.js';
import { welcomePage } from './welcome-page.js';

/** @throws {RangeError} naming the option when one is unusable. */
function checkOptions(o: MercureOptions): { publishOrigins: Set<string>; refreshMs: number } {
  const publishOrigins = new Set(o.publishOrigins ?? []);
  for (const origin of publishOrigins) {
    if (origin === '*') continue;
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      // reported below
    }
    if (!ok) {
      throw new RangeError(
        `Mercure option publishOrigins has "${origin}", which is not an origin; write it as https://app.example.com.`,
      );
    }
  }
  const refreshMs = o.subscriptionsRefreshMs ?? 30_000;
  if (!Number.isInteger(refreshMs) || refreshMs < 100) {
    throw new RangeError(
      `Mercure option subscriptionsRefreshMs must be an integer of at least 100, not ${refreshMs}.`,
    );
  }
  return { publishOrigins, refreshMs };
}

/**
 * The Mercure face as a hub plugin: `GET`/`POST /.well-known/mercure`, the active-subscriptions
 * API when enabled, and the welcome page. Installed by `createHub` when `mercure` is given.
 * @throws {RangeError} naming the option when the configuration is unusable.
 */
export function mercurePlugin(o: MercureOptions): HubPlugin {
  return {
    name: 'mercure',
    install(host) {
      const auth = new MercureAuth(o, host.engine.revocations);
      const { publishOrigins, refreshMs } = checkOptions(o);
      const dispatcher = new MercureDispatcher();
      host.addLane(dispatcher);
      const subscriptions = o.subscriptions ? new ActiveSubscriptions(host, refreshMs, host.log) : undefined;
      if (subscriptions) host.onClose(() => subscriptions.close());
      const face: MercureFace = { host, auth, dispatcher, subscriptions, publishOrigins };

      // Outermost, so not even the security layer's refusals see a token in the URL.
      host.useFirst(async (req, next) => {
        if (req.path === MERCURE_PATH || req.path.startsWith(`${MERCURE_PATH}/`))
          stripAuthorizationParam(req);
        return next();
      });

      host.route('GET', MERCURE_PATH, (req) => subscribeRoute(face, req));
      host.addStreamPath(MERCURE_PATH);
      host.route('POST', MERCURE_PATH, (req) => publishRoute(face, req));
      if (subscriptions) {
        const api = (req: Parameters<typeof subscriptionsApi>[2]) =>
          subscriptionsApi(face, subscriptions, req);
        host.route('GET', SUBSCRIPTIONS_PATH, api);
        host.route('GET', `${SUBSCRIPTIONS_PATH}/*rest`, api);
      }
      if (o.welcomePage !== false) {
        host.route('GET', '/', async () => ({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: welcomePage(host.options.basePath),
        }));
      }
    },
  };
}
