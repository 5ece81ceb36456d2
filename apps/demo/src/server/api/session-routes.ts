import { z } from 'zod';
import { HUB_COOKIE, SESSION_COOKIE, SESSION_TTL_S, setCookie } from '../cookies.js';
import { ApiAnswer, ApiError, parseWith, readJson } from '../http-util.js';
import { COACHING_SESSION } from '../seed-data.js';
import { type DemoUser, findUser, issueSessionToken, issueToken, TOKEN_TTL_S, USERS } from '../users.js';
import type { ApiRoute } from './api-route.js';
import { authenticate } from './authenticate.js';

const Login = z.object({ user: z.string({ error: 'Name a demo user: alice, bob or carol.' }) });

/**
 * The demo users, the app config, health, sign-in (cookies for the browser, a token for
 * scripts), the session every tab shares, sign-out and the hub token refresh.
 */
export const sessionRoutes: ApiRoute[] = [
  { method: 'GET', pattern: /^\/api\/users$/, auth: false, handler: () => async () => USERS },
  {
    method: 'GET',
    pattern: /^\/api\/config$/,
    auth: false,
    handler: (ctx) => async (req) => ({
      hubUrl: hubUrlFor(ctx.hubUrl, req.headers.host),
      coachingSession: COACHING_SESSION,
    }),
  },
  { method: 'GET', pattern: /^\/api\/health$/, auth: false, handler: (ctx) => async () => ctx.health() },
  {
    method: 'POST',
    pattern: /^\/api\/login$/,
    auth: false,
    handler: (ctx) => async (req) => {
      const { user: id } = parseWith(Login, await readJson(req));
      const user = findUser(id);
      if (!user)
        throw new ApiError(
          400,
          'unknown-user',
          `There is no demo user "${id}"; sign in as alice, bob or carol.`,
        );
      const token = await issueToken(ctx.secret, user);
      // The browser keeps both in HttpOnly cookies; the token in the body is for scripts.
      return new ApiAnswer(
        { token, user },
        {
          cookies: [
            setCookie(
              SESSION_COOKIE,
              await issueSessionToken(ctx.secret, user, SESSION_TTL_S),
              SESSION_TTL_S,
            ),
            setCookie(HUB_COOKIE, token, TOKEN_TTL_S),
          ],
        },
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/session$/,
    // "Who am I" is a question, not a failure: a browser without a valid session cookie gets
    // `{user: null}` and the reason, and shows the sign-in (no 401 in its console).
    auth: false,
    handler: (ctx) => async (req) => {
      try {
        return { user: (await authenticate(ctx, req)).user };
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return { user: null, reason: e.message };
        throw e;
      }
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/logout$/,
    auth: false,
    // No sign-in needed: signing out an ended session must still clear its cookies.
    handler: () => async () =>
      new ApiAnswer(
        { signedOut: true },
        { status: 200, cookies: [setCookie(SESSION_COOKIE, '', 0), setCookie(HUB_COOKIE, '', 0)] },
      ),
  },
  {
    method: 'POST',
    pattern: /^\/api\/token$/,
    auth: true,
    refresh: true,
    handler: (ctx, user, by) => async () => {
      const token = await issueToken(ctx.secret, user as DemoUser);
      return by === 'cookie'
        ? new ApiAnswer(
            { token, expiresInS: TOKEN_TTL_S },
            { cookies: [setCookie(HUB_COOKIE, token, TOKEN_TTL_S)] },
          )
        : { token };
    },
  },
];

/**
 * The hub's URL as this page should reach it: a hub on the loopback is addressed by the host
 * name the page uses (`localhost` or `127.0.0.1`), so the hub cookie, which is per host name,
 * reaches it.
 */
function hubUrlFor(hubUrl: string, host: string | undefined): string {
  if (!host) return hubUrl;
  const hub = new URL(hubUrl);
  const loopback = new Set(['127.0.0.1', 'localhost']);
  let pageHost: string;
  try {
    pageHost = new URL(`http://${host}`).hostname;
  } catch {
    return hubUrl;
  }
  if (!loopback.has(hub.hostname) || !loopback.has(pageHost)) return hubUrl;
  hub.hostname = pageHost;
  return hub.origin;
}
