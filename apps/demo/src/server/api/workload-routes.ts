import { z } from 'zod';
import { parseWith, readJson } from '../http-util.js';
import type { DemoUser } from '../users.js';
import type { ApiRoute } from './api-route.js';
import { startBuild } from './start-build.js';

const BuildRequest = z.object({ workloadId: z.string().min(1, 'Name the workload to build.') });

/** The workloads page: projects, clusters, workloads, builds, and starting a build. */
export const workloadRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/projects$/,
    auth: true,
    handler: (ctx) => async () => ctx.db.prepare('SELECT * FROM projects ORDER BY name').all(),
  },
  {
    method: 'GET',
    pattern: /^\/api\/clusters$/,
    auth: true,
    handler: (ctx) => async () => ctx.db.prepare('SELECT * FROM clusters ORDER BY name').all(),
  },
  {
    method: 'GET',
    pattern: /^\/api\/workloads$/,
    auth: true,
    handler: (ctx) => async (_req, _p, url) => {
      const project = url.searchParams.get('project');
      return project
        ? ctx.db.prepare('SELECT * FROM workloads WHERE project_id = ? ORDER BY name').all(project)
        : ctx.db.prepare('SELECT * FROM workloads ORDER BY project_id, name').all();
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/builds$/,
    auth: true,
    handler: (ctx) => async (_req, _p, url) => {
      const project = url.searchParams.get('project');
      return project
        ? ctx.db.prepare('SELECT * FROM builds WHERE project_id = ? ORDER BY id DESC LIMIT 20').all(project)
        : ctx.db.prepare('SELECT * FROM builds ORDER BY id DESC LIMIT 20').all();
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/builds$/,
    auth: true,
    handler: (ctx, user) => async (req) => {
      const { workloadId } = parseWith(BuildRequest, await readJson(req));
      const build = ctx.db.transaction(() => startBuild(ctx.db, workloadId, (user as DemoUser).id))();
      ctx.published();
      return build;
    },
  },
];
