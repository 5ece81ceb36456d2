import type { IncomingMessage } from 'node:http';
import { ApiError } from '../http-util.js';
import { type DemoUser, verifyToken } from '../users.js';
import type { ApiContext } from './api-route.js';

/** The user behind the request's bearer token, or a 401 saying how to get one. */
export async function authenticate(ctx: ApiContext, req: IncomingMessage, graceS = 0): Promise<DemoUser> {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer '))
    throw new ApiError(
      401,
      'unauthorized',
      'Sign in first: send the token from POST /api/login as Authorization: Bearer <token>.',
    );
  const claims = await verifyToken(ctx.secret, h.slice(7), graceS);
  if (!claims) throw new ApiError(401, 'unauthorized', 'The token is invalid or expired; sign in again.');
  const out = ctx.db.prepare('SELECT at FROM logouts WHERE user = ?').get(claims.user.id) as
    | { at: number }
    | undefined;
  if (out && claims.iatMs <= out.at)
    throw new ApiError(401, 'logged-out', 'You were signed out by an admin; sign in again.');
  return claims.user;
}
