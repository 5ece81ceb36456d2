import { z } from 'zod';
import { ApiError, parseWith, readJson } from '../http-util.js';
import { findUser } from '../users.js';
import type { ApiRoute } from './api-route.js';

const ForceLogout = z.object({
  user: z.string().refine((u) => findUser(u) !== undefined, 'Name a demo user: alice, bob or carol.'),
  reason: z
    .string()
    .trim()
    .min(1, 'Say why, the user will see it.')
    .max(200, 'Keep the reason under 200 characters.'),
});

/** Admin actions: forcing a user out of the API and off the hub. */
export const adminRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: /^\/api\/admin\/force-logout$/,
    auth: true,
    handler: (ctx, user) => async (req) => {
      if (user?.role !== 'admin')
        throw new ApiError(403, 'forbidden', 'Only an admin may force a logout; sign in as alice.');
      const { user: target, reason } = parseWith(ForceLogout, await readJson(req));
      // Tokens issued until now no longer open the API either (the hub revokes them for streams).
      ctx.db.prepare('INSERT OR REPLACE INTO logouts (user, at) VALUES (?, ?)').run(target, Date.now());
      const res = await fetch(`${ctx.hubUrl}/disconnect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ctx.publisherKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: target, reason }),
        signal: AbortSignal.timeout(10_000),
      }).catch((e: Error) => {
        throw new ApiError(
          503,
          'hub-unreachable',
          `The hub could not be reached (${e.message}); try again when it is up.`,
        );
      });
      if (!res.ok) throw new ApiError(502, 'hub-refused', `The hub refused the logout: ${await res.text()}`);
      return { user: target, reason, hub: await res.json() };
    },
  },
];
