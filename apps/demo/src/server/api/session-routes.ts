import { z } from 'zod';
import { ApiError, parseWith, readJson } from '../http-util.js';
import { COACHING_SESSION } from '../seed-data.js';
import { type DemoUser, findUser, issueToken, USERS } from '../users.js';
import type { ApiRoute } from './api-route.js';

const Login = z.object({ user: z.string({ error: 'Name a demo user: alice, bob or carol.' }) });

/** The demo users, the app config, health, sign-in and the token refresh. */
export const sessionRoutes: ApiRoute[] = [
  { method: 'GET', pattern: /^\/api\/users$/, auth: false, handler: () => async () => USERS },
  {
    method: 'GET',
    pattern: /^\/api\/config$/,
    auth: false,
    handler: (ctx) => async () => ({ hubUrl: ctx.hubUrl, coachingSession: COACHING_SESSION }),
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
      return { token: await issueToken(ctx.secret, user), user };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/token$/,
    auth: true,
    refresh: true,
    handler: (ctx, user) => async () => ({ token: await issueToken(ctx.secret, user as DemoUser) }),
  },
];
