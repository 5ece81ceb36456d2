import { type Authorizer, allowAll, type Principal, type SubscribeGrant } from '../../auth/authorizer.js';
import { ExpiryScheduler } from '../../auth/expiry-scheduler.js';
import { ForcedLogout, type LogoutHost } from '../../auth/forced-logout.js';
import { type AuthOptions, jwtAuthorizer } from '../../auth/jwt-authorizer.js';
import { withQueryToken } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import type { HubPlugin } from '../../core/hub-plugin.js';
import type { Logger } from '../../core/logger.js';
import type { HubObserver } from '../../core/observer.js';
import type { Engine } from '../../engines/engine.js';
import { MemoryRevocations } from '../../engines/memory/memory-revocations.js';
import { type CorsOptions, CorsPolicy } from '../../http/cors.js';
import type { HubRequest } from '../../http/hub-request.js';
import type { Middleware, RouteHandler } from '../../http/route.js';
import { type LimitCounters, LocalLimitCounters } from '../../limits/limit-counters.js';
import { checkPatternComplexity, type LimitOptions, NO_LIMITS, resolveLimits } from '../../limits/limits.js';
import { AbuseLimits } from './abuse-limits.js';
import { disconnectAnswer, parseDisconnect } from './disconnect-route.js';
import { scopeLogout } from './scope-logout.js';
import { securityMiddleware } from './security-middleware.js';

export { scopeLogout } from './scope-logout.js';

/** The security-related hub options, see `HubOptions`. */
export interface SecurityOptions {
  auth?: AuthOptions | undefined;
  authorizer?: Authorizer | undefined;
  limits?: LimitOptions | false | undefined;
  limitCounters?: LimitCounters | undefined;
  cors?: CorsOptions | undefined;
  /** See `HubOptions.maxJsonDepth`; applied to the `POST /disconnect` body. */
  maxJsonDepth?: number | undefined;
}

/** What the security layer needs from the hub. */
export interface SecurityHost extends LogoutHost {
  readonly engine: Engine;
  use(middleware: Middleware): void;
  route(method: string, path: string, handler: RouteHandler): void;
  observe(observer: HubObserver): void;
}

/** The installed security layer. */
export interface Security {
  /** The authorizer the hub must use (limits and revocation wrapped around the configured one). */
  readonly authorizer: Authorizer;
  /**
   * Refuses a WebSocket upgrade from a browser page on an origin the CORS allow-list does not name
   * (browsers apply no CORS to WebSockets, so the hub must): requests without `Origin` (not a
   * browser) and same-origin pages pass.
   * @throws HubError 403 `origin-not-allowed`.
   */
  checkWebSocketOrigin(req: HubRequest): void;
  /**
   * Takes the connection slots of a stream authorized elsewhere (another protocol face); returns
   * the fresh principal that keys them. @throws HubError 429 at a limit.
   */
  admitStream(principal: Principal, req: HubRequest): Promise<Principal>;
  /**
   * Counts `n` published events against the publish rate limits. With `n` = 0 it only checks,
   * taking nothing, that one event would pass now: routes call it before reading a body.
   * @throws HubError 429.
   */
  checkPublishRate(principal: Principal, req: HubRequest, n: number): Promise<void>;
  /** Stops timers and listeners; closes revocations the hub created itself. */
  close(): Promise<void>;
}

/**
 * Wires authentication, authorization, abuse limits, CORS, token expiry and forced logout into a
 * hub. Called once by `createHub`.
 */
export function installSecurity(host: SecurityHost, o: SecurityOptions, log: Logger): Security {
  if (o.auth && o.authorizer) {
    throw new RangeError(
      'Hub options auth and authorizer exclude each other: auth builds the JWT authorizer.',
    );
  }
  const ownRevocations = host.engine.revocations ? undefined : new MemoryRevocations();
  const revocations = host.engine.revocations ?? (ownRevocations as MemoryRevocations);
  const jwt = o.auth ? jwtAuthorizer(o.auth, revocations) : undefined;
  const inner = jwt?.authorizer ?? o.authorizer ?? allowAll;
  // Custom authorizers may read ?token= from req.url as before; the JWT one finds it itself.
  const view = jwt ? (req: HubRequest) => req : withQueryToken;
  const limits =
    o.limits === false ? NO_LIMITS : o.limits || o.auth ? resolveLimits(o.limits || {}) : NO_LIMITS;
  const cors = new CorsPolicy(o.cors);

  // In this process, or shared by every worker of the hub (the primary's counts).
  const counters: LimitCounters = o.limitCounters ?? new LocalLimitCounters();
  // A WebSocket connection authorizes each runtime subscription with its upgrade request: the
  // stream already holds its connection slots and keeps its principal.
  const admitted = new WeakMap<HubRequest, Principal>();

  const logout = new ForcedLogout(
    host,
    host.engine.broker,
    revocations,
    {
      sessionMs: Math.max(jwt?.sessionRevocationMs ?? 86_400_000, jwt?.userRevocationMs ?? 0),
      // Without the JWT authorizer the hub cannot date tokens: a day, as for sessions.
      userMs: jwt?.userRevocationMs ?? 86_400_000,
    },
    log,
  );
  const expiry = new ExpiryScheduler((id) => {
    host.disconnect(id, 'token-expired', { expiredAt: new Date().toISOString() });
  });

  // ---- request pre-processing: token out of the URL, CORS, cross-site cookie use ------------

  host.use(securityMiddleware(cors, jwt, (principal, req) => checkPublishRate(principal, req, 0)));

  // ---- authorizer with limits ----------------------------------------------------------------

  const abuse = new AbuseLimits(limits, counters);
  const checkPublishRate = abuse.checkPublishRate.bind(abuse);
  const admitStream = abuse.admitStream.bind(abuse);

  const authorizer: Authorizer = {
    async authorizeSubscribe(req, patterns): Promise<SubscribeGrant> {
      if (limits.maxPatternWildcards !== undefined)
        checkPatternComplexity(patterns, limits.maxPatternWildcards);
      const grant = await inner.authorizeSubscribe(view(req), patterns);
      const known = admitted.get(req);
      if (known) return { principal: known, canRead: grant.canRead };
      const principal = await admitStream(grant.principal, req);
      admitted.set(req, principal);
      return { principal, canRead: grant.canRead };
    },
    async authorizePublish(req, topics): Promise<Principal> {
      const principal = await inner.authorizePublish(view(req), topics);
      await checkPublishRate(principal, req, topics.length);
      return principal;
    },
    async authorizeCommand(req, name): Promise<Principal> {
      if (!inner.authorizeCommand) {
        throw new HubError(
          403,
          'forbidden',
          "This hub's authorizer does not authorize commands; give it an authorizeCommand method.",
          { command: name },
        );
      }
      return inner.authorizeCommand(view(req), name);
    },
    async authorizeAdmin(req): Promise<Principal> {
      if (!inner.authorizeAdmin) {
        throw new HubError(403, 'forbidden', "This hub's authorizer does not allow administrative requests.");
      }
      return inner.authorizeAdmin(view(req));
    },
  };

  // ---- stream lifecycle: expiry, late logouts, slot release ----------------------------------

  host.observe({
    connectionOpened(conn) {
      const p = conn.principal;
      if (!p) return;
      const hit = logout.matchesRecent(p);
      if (hit) {
        host.disconnect(conn.id, 'force-logout', { reason: hit.reason });
        return;
      }
      if (p.expiresAt !== undefined) expiry.add(conn.id, p.expiresAt);
    },
    connectionClosed(conn) {
      expiry.remove(conn.id);
      const p = conn.principal;
      if (p) abuse.release(p);
    },
  });

  host.route('POST', '/disconnect', async (req) => {
    const caller = await authorizer.authorizeAdmin?.(req);
    const target = await parseDisconnect(req, o.maxJsonDepth);
    return disconnectAnswer(await logout.run(scopeLogout(target, caller)));
  });

  return {
    authorizer,
    checkWebSocketOrigin(req) {
      const origin = req.header('origin');
      if (origin === undefined || CorsPolicy.sameOrigin(req, origin) || cors.allows(origin)) return;
      throw cors.refusal(origin);
    },
    admitStream,
    checkPublishRate,
    async close() {
      expiry.close();
      logout.close();
      counters.close?.();
      await ownRevocations?.close();
    },
  };
}

/**
 * Security as a hub plugin: installed first, so an unusable auth configuration throws before any
 * other feature starts, and so its middleware runs outside every later one.
 */
export function securityPlugin(o: SecurityOptions): HubPlugin {
  return {
    name: 'security',
    install(host) {
      const security = installSecurity(host, o, host.log);
      host.provideAccess(security);
      host.onClose(() => security.close());
    },
  };
}
