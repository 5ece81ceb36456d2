import type { IncomingMessage } from 'node:http';
import { requestCookie, SESSION_COOKIE } from '../cookies.js';
import { ApiError } from '../http-util.js';
import { type DemoUser, verifySessionToken, verifyToken } from '../users.js';
import type { ApiContext, SignedInBy } from './api-route.js';

/**
 * The user behind the request, or a 401 saying how to sign in. Scripts send the token of
 * `POST /api/login` as a bearer token; browsers send the session cookie, and a change made with
 * the cookie must come from a page of this origin (no cross-site request forgery).
 * @param graceS - seconds past a bearer token's expiry still accepted (the token refresh).
 */
export async function authenticate(
  ctx: ApiContext,
  req: IncomingMessage,
  graceS = 0,
): Promise<{ user: DemoUser; by: SignedInBy }> {
  const h = req.headers.authorization;
  let claims: Awaited<ReturnType<typeof verifyToken>>;
  let by: SignedInBy;
  if (h !== undefined) {
    if (!h.startsWith('Bearer '))
      throw new ApiError(401, 'unauthorized', 'Send the token as Authorization: Bearer <token>.');
    claims = await verifyToken(ctx.secret, h.slice(7), graceS);
    by = 'bearer';
    if (!claims) throw new ApiError(401, 'unauthorized', 'The token is invalid or expired; sign in again.');
  } else {
    const cookie = requestCookie(req, SESSION_COOKIE);
    if (cookie === undefined)
      throw new ApiError(
        401,
        'unauthorized',
        'Sign in first: POST /api/login, then send its session cookie or its token as Authorization: Bearer <token>.',
      );
    claims = await verifySessionToken(ctx.secret, cookie);
    by = 'cookie';
    if (!claims)
      throw new ApiError(401, 'unauthorized', 'Your session is invalid or expired; sign in again.');
    if (req.method !== 'GET' && req.method !== 'HEAD') checkSameOrigin(req);
  }
  const out = ctx.db.prepare('SELECT at FROM logouts WHERE user = ?').get(claims.user.id) as
    | { at: number }
    | undefined;
  if (out && claims.iatMs <= out.at)
    throw new ApiError(401, 'logged-out', 'You were signed out by an admin; sign in again.');
  return { user: claims.user, by };
}

/** A cookie-authenticated change must come from a page on this host (Origin, else Referer). */
function checkSameOrigin(req: IncomingMessage): void {
  const from = req.headers.origin ?? req.headers.referer;
  let host: string | undefined;
  try {
    host = from === undefined ? undefined : new URL(from).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.headers.host) {
    throw new ApiError(
      403,
      'cross-site',
      'A change signed in by the session cookie must come from the demo page itself; scripts send Authorization: Bearer <token> instead.',
    );
  }
}
