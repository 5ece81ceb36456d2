import { discardDeadLetter, listDeadLetters, requeueDeadLetter } from '../dead-letters.js';
import { ApiAnswer, ApiError } from '../http-util.js';
import type { DemoUser } from '../users.js';
import type { ApiRoute } from './api-route.js';

function seqOf(param: string | undefined): number {
  const n = Number(param);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ApiError(
      400,
      'invalid-input',
      `"${param}" is not a dead letter number; take one from GET /api/dead-letters.`,
    );
  return n;
}

function adminOnly(user: DemoUser | undefined, what: string): void {
  if (user?.role !== 'admin')
    throw new ApiError(403, 'forbidden', `Only an admin may ${what} a set-aside event; sign in as alice.`);
}

function missing(seq: number): ApiError {
  return new ApiError(
    404,
    'not-found',
    `There is no set-aside event ${seq}; it was retried or discarded already. Reload the list.`,
  );
}

/**
 * Events the hub refused for good, set aside by the outbox pump: every signed-in user sees them
 * with the reason; an admin queues one again or discards it.
 */
export const deadLetterRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/dead-letters$/,
    auth: true,
    handler: (ctx) => async () => listDeadLetters(ctx.db),
  },
  {
    method: 'POST',
    pattern: /^\/api\/dead-letters\/([^/]+)\/retry$/,
    auth: true,
    handler:
      (ctx, user) =>
      async (_req, [param]) => {
        adminOnly(user, 'retry');
        const seq = seqOf(param);
        if (!requeueDeadLetter(ctx.db, seq)) throw missing(seq);
        ctx.published();
        return new ApiAnswer({ requeued: seq }, { status: 202 });
      },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/dead-letters\/([^/]+)$/,
    auth: true,
    handler:
      (ctx, user) =>
      async (_req, [param]) => {
        adminOnly(user, 'discard');
        const seq = seqOf(param);
        if (!discardDeadLetter(ctx.db, seq)) throw missing(seq);
        return { discarded: seq };
      },
  },
];
