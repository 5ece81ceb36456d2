/**
 * The backend's REST API: sign-in, the data of the five pages, and the changes users make. Every
 * change is written with its events in one transaction (see app-db.ts).
 */
import type { IncomingMessage } from 'node:http';
import { adminRoutes } from './api/admin-routes.js';
import type { ApiContext, ApiRoute } from './api/api-route.js';
import { authenticate } from './api/authenticate.js';
import { coachingRoutes } from './api/coaching-routes.js';
import { consoleRoutes } from './api/console-routes.js';
import { deadLetterRoutes } from './api/dead-letter-routes.js';
import { leaseRoutes } from './api/lease-routes.js';
import { operationsRoutes } from './api/operations-routes.js';
import { sessionRoutes } from './api/session-routes.js';
import { workloadRoutes } from './api/workload-routes.js';
import { ApiError } from './http-util.js';

const routes: ApiRoute[] = [
  ...sessionRoutes,
  ...leaseRoutes,
  ...workloadRoutes,
  ...operationsRoutes,
  ...coachingRoutes,
  ...adminRoutes,
  ...consoleRoutes,
  ...deadLetterRoutes,
];

/** Answers an `/api/…` request: the value to send as JSON, or throws an {@link ApiError}. */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, url: URL): Promise<unknown> {
  const candidates = routes.filter((r) => r.pattern.test(url.pathname));
  if (candidates.length === 0)
    throw new ApiError(404, 'not-found', `There is no ${url.pathname}; see apps/demo/README.md for the API.`);
  const route = candidates.find((r) => r.method === req.method);
  if (!route) {
    throw new ApiError(
      405,
      'method-not-allowed',
      `The path ${url.pathname} takes ${candidates.map((r) => r.method).join(' or ')}, not ${req.method}.`,
    );
  }
  const signedIn = route.auth ? await authenticate(ctx, req, route.refresh ? 600 : 0) : undefined;
  const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
  return route.handler(ctx, signedIn?.user, signedIn?.by)(req, params, url);
}
