import type { ApiRoute } from './api-route.js';

/** The operations (ISP console) page: the ONUs and the RADIUS sessions. */
export const operationsRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/onus$/,
    auth: true,
    handler: (ctx) => async () => ctx.db.prepare('SELECT * FROM onus ORDER BY id').all(),
  },
  {
    method: 'GET',
    pattern: /^\/api\/radius\/sessions$/,
    auth: true,
    handler: (ctx) => async () =>
      ctx.db.prepare('SELECT * FROM radius_sessions ORDER BY started_at DESC').all(),
  },
];
