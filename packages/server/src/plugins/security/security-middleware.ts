import type { Principal } from '../../auth/authorizer.js';
import type { ResolvedAuth } from '../../auth/jwt-authorizer.js';
import { readCookie, stripQueryToken, TOKEN_QUERY_PARAM } from '../../auth/token-source.js';
import type { CorsPolicy } from '../../http/cors.js';
import type { HubRequest } from '../../http/hub-request.js';
import type { Middleware } from '../../http/route.js';

/**
 * The security layer's pre-processing of every request: the token out of the URL, CORS
 * (preflights, response headers, cross-site cookie use refused), and a publish's credentials and
 * rate checked before a byte of its body is read.
 */
export function securityMiddleware(
  cors: CorsPolicy,
  jwt: ResolvedAuth | undefined,
  checkRate: (principal: Principal, req: HubRequest) => Promise<void>,
): Middleware {
  const cookieName = jwt?.cookieName;
  return async (req, next) => {
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
        await checkRate(principal, req);
      }
    }
    const result = await next();
    const extra = cors.headersFor(origin);
    if (Object.keys(extra).length === 0) return result;
    return { ...result, headers: { ...result.headers, ...extra } };
  };
}
