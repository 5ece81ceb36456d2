import { type Authorizer, allowAll, type Principal, type SubscribeGrant } from '../../auth/authorizer.js';
import { ExpiryScheduler } from '../../auth/expiry-scheduler.js';
import { ForcedLogout, type LogoutHost, type LogoutTarget } from '../../auth/forced-logout.js';
import { type AuthOptions, jwtAuthorizer } from '../../auth/jwt-authorizer.js';
import { readCookie, stripQueryToken, TOKEN_QUERY_PARAM, withQueryToken } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import type { HubPlugin } from '../../core/hub-plugin.js';
import type { Logger } from '../../core/logger.js';
import type { HubObserver } from '../../core/observer.js';
import type { Engine } from '../../engines/engine.js';
import { MemoryRevocations } from '../../engines/memory/memory-revocations.js';
import { type CorsOptions, CorsPolicy } from '../../http/cors.js';
import type { HubRequest } from '../../http/hub-request.js';
import type { Middleware, RouteHandler } from '../../http/route.js';
import type { Release } from '../../limits/connection-limits.js';
import {
  type LimitCounters,
  LocalLimitCounters,
  type SlotRequest,
  userLimitKey,
} from '../../limits/limit-counters.js';
import { checkPatternComplexity, type LimitOptions, NO_LIMITS, resolveLimits } from '../../limits/limits.js';
import { disconnectAnswer, parseDisconnect } from './disconnect-route.js';

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
 * Limits a forced logout to the caller's tenant: a `sub` or session id names someone within one
 * tenant. A caller with a tenant (a custom `authorizeAdmin` may return one) reaches only its own
 * tenant and may not name another; a caller without one (the publisher key) reaches the tenant it
 * names, or every tenant when it names none.
 * @throws HubError 403 when a tenant's caller names another tenant.
 */
export function scopeLogout(target: LogoutTarget, caller: Principal | undefined): LogoutTarget {
  const own = caller?.tenant;
  if (own === undefined) return target;
  if (target.tenant !== undefined && target.tenant !== own) {
    throw new HubError(
      403,
      'forbidden',
      `You may log out only principals of your own tenant "${own}"; leave "tenant" out or name your own.`,
      { tenant: target.tenant },
    );
  }
  return { ...target, tenant: own };
}

function retryAfterS(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
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
  const cookieName = jwt?.cookieName;
  // Custom authorizers may read ?token= from req.url as before; the JWT one finds it itself.
  const view = jwt ? (req: HubRequest) => req : withQueryToken;
  const limits =
    o.limits === false ? NO_LIMITS : o.limits || o.auth ? resolveLimits(o.limits || {}) : NO_LIMITS;
  const cors = new CorsPolicy(o.cors);

  // In this process, or shared by every worker of the hub (the primary's counts).
  const counters: LimitCounters = o.limitCounters ?? new LocalLimitCounters();
  const leases = new WeakMap<Principal, Release>();
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

  host.use(async (req, next) => {
    stripQueryToken(req);
    const origin = req.header('origin');
    if (req.method === 'OPTIONS' && req.header('access-control-request-method') !== undefined) {
      const p = cors.preflight(req);
      return { status: p.status, headers: p.headers, body: '' };
    }
    if (
      cookieName !== undefined &&
      req.header('authorization') === undefined &&
      !req.url.searchParams.has(TOKEN_QUERY_PARAM) &&
      readCookie(req.header('cookie'), cookieName) !== undefined &&
      cors.refusesCredentialed(req, origin)
    ) {
      throw cors.refusal(origin ?? '(none)');
    }
    // Refuse bad credentials before reading a publish body: an anonymous flood of large bodies
    // then costs no parsing. A publish also needs a token that may publish somewhere, and room
    // in its rate bucket, before a byte of the body is read.
    if (jwt && req.method === 'POST' && (req.path === '/publish' || req.path.startsWith('/commands/'))) {
      const principal = await jwt.authenticate(req);
      if (req.path === '/publish') {
        jwt.checkMayPublish(principal);
        await checkPublishRate(principal, req, 0);
      }
    }
    const result = await next();
    const extra = cors.headersFor(origin);
    if (Object.keys(extra).length === 0) return result;
    return { ...result, headers: { ...result.headers, ...extra } };
  });

  // ---- authorizer with limits ----------------------------------------------------------------

  async function takeConnectionSlots(principal: Principal, req: HubRequest): Promise<Release | undefined> {
    if (principal.trusted) return undefined;
    const user = principal.user;
    const ip = req.remoteAddress;
    const slots: SlotRequest[] = [];
    // A user is the pair (tenant, sub): the same sub in two tenants is two people.
    if (limits.connectionsPerUser !== undefined && user !== undefined)
      slots.push({
        counter: 'user',
        key: userLimitKey(principal.tenant, user),
        limit: limits.connectionsPerUser,
      });
    if (limits.connectionsPerIp !== undefined && ip)
      slots.push({ counter: 'ip', key: ip, limit: limits.connectionsPerIp });
    if (slots.length === 0) return undefined;
    const full = await counters.acquire(slots);
    if (full !== -1) {
      const s = slots[full] as SlotRequest;
      if (s.counter === 'user') {
        const who =
          principal.tenant === undefined
            ? `User "${user}"`
            : `User "${user}" of tenant "${principal.tenant}"`;
        throw new HubError(
          429,
          'too-many-connections',
          `${who} already has ${s.limit} open streams, the limit per user; close some (other tabs, devices) before opening another.`,
          { limit: s.limit, option: 'connectionsPerUser' },
        );
      }
      throw new HubError(
        429,
        'too-many-connections',
        `Your address already has ${s.limit} open streams, the limit per address; close some before opening another.`,
        { limit: s.limit, option: 'connectionsPerIp' },
      );
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      counters.release(slots);
    };
  }

  async function checkPublishRate(principal: Principal, req: HubRequest, n: number): Promise<void> {
    const r = principal.trusted ? limits.publisherKeyRate : limits.publishRate;
    if (!r) return;
    const key = principal.trusted
      ? 'publisher-key'
      : principal.user !== undefined
        ? `user:${userLimitKey(principal.tenant, principal.user)}`
        : `ip:${req.remoteAddress}`;
    if (key === 'ip:') return;
    const wait = await counters.take(principal.trusted ? 'publisherKeyRate' : 'publishRate', key, n, r);
    if (wait > 0) {
      throw new HubError(
        429,
        'rate-limited',
        `You are publishing faster than this hub allows (${r.perSecond} events per second, bursts of ${r.burst}); retry after ${retryAfterS(wait)} s.`,
        {
          option: principal.trusted ? 'publisherKeyRate' : 'publishRate',
          limit: r.perSecond,
          burst: r.burst,
          retryAfterS: Number(retryAfterS(wait)),
        },
        { 'retry-after': retryAfterS(wait) },
      );
    }
  }

  async function admitStream(granted: Principal, req: HubRequest): Promise<Principal> {
    // A fresh principal per stream: it keys this stream's connection slots.
    const principal: Principal = { ...granted };
    const release = await takeConnectionSlots(principal, req);
    if (release) {
      leases.set(principal, release);
      // Frees the slots if the stream never opens (the client left first).
      if (req.signal.aborted) release();
      else req.signal.addEventListener('abort', release, { once: true });
    }
    return principal;
  }

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
      if (p) leases.get(p)?.();
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
