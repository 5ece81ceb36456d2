/**
 * The backend's REST API: sign-in, the data of the five pages, and the changes users make. Every
 * change is written with its events in one transaction (see app-db.ts).
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { type Db, enqueue, now, type OutgoingEvent } from './app-db.js';
import { ApiError, parseWith, readJson } from './http-util.js';
import { COACHING_SESSION, leaseExpiry, POOLS, randomHostname, randomMac } from './seed-data.js';
import { type DemoUser, findUser, issueToken, USERS, verifyToken } from './users.js';

export interface ApiContext {
  db: Db;
  secret: Uint8Array;
  hubUrl: string;
  publisherKey: string;
  /** Called after a change queued events. */
  published: () => void;
  health: () => Record<string, unknown>;
}

type Handler = (req: IncomingMessage, params: string[], url: URL) => Promise<unknown>;
interface Route {
  method: string;
  pattern: RegExp;
  auth: boolean;
  /**
   * Accepts a token up to 10 minutes past its expiry: the hub ends a stream when its token
   * expires, and the client then trades that token for a fresh one here.
   */
  refresh?: boolean;
  handler: (ctx: ApiContext, user: DemoUser | undefined) => Handler;
}

const COACHING_KINDS = { actions: 'action', agreements: 'agreement', goals: 'goal' } as const;
const ITEM_STATUS = ['not_started', 'in_progress', 'completed', 'agreed', 'wont_do'] as const;

const Login = z.object({ user: z.string({ error: 'Name a demo user: alice, bob or carol.' }) });
const NewLease = z.object({
  ip: z.ipv4({ error: 'Give an IPv4 address such as 10.0.1.77.' }).optional(),
  mac: z
    .string()
    .regex(
      /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i,
      'Give the MAC address as six hex pairs, e.g. aa:bb:cc:dd:ee:ff.',
    )
    .optional(),
  hostname: z
    .string()
    .trim()
    .min(1, 'Give a hostname.')
    .max(63, 'A hostname has at most 63 characters.')
    .optional(),
  pool: z.enum(
    POOLS.map((p) => p.name),
    { error: `Choose a pool: ${POOLS.map((p) => p.name).join(', ')}.` },
  ),
});
const ItemBody = z.object({
  body: z.string().trim().min(1, 'Write something first.').max(500, 'Keep it under 500 characters.'),
});
const ItemPatch = z
  .object({
    body: ItemBody.shape.body.optional(),
    status: z.enum(ITEM_STATUS, { error: `Status is one of ${ITEM_STATUS.join(', ')}.` }).optional(),
  })
  .refine((v) => v.body !== undefined || v.status !== undefined, 'Change the body, the status or both.');
const ForceLogout = z.object({
  user: z.string().refine((u) => findUser(u) !== undefined, 'Name a demo user: alice, bob or carol.'),
  reason: z
    .string()
    .trim()
    .min(1, 'Say why, the user will see it.')
    .max(200, 'Keep the reason under 200 characters.'),
});
const ConsoleEvent = z.object({
  type: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
      'The event type is 1-64 letters, digits, ".", "_", ":" or "-".',
    ),
  data: z.unknown().refine((d) => d !== undefined, 'Give a JSON payload in "data" (any JSON value).'),
});
const BuildRequest = z.object({ workloadId: z.string().min(1, 'Name the workload to build.') });

const leaseEvent = (type: string, lease: unknown, change: string): OutgoingEvent => ({
  topic: 'leases',
  type,
  data: { lease, timestamp: now(), change_type: change },
});

export function coachingEvent(
  kind: string,
  verb: string,
  item: { id: number; session_id: string },
  by: string,
) {
  return {
    topic: `coaching/${item.session_id}`,
    type: `${kind}_${verb}`,
    data: { id: item.id, coaching_session_id: item.session_id, kind, by, item },
  };
}

/** Starts a build of a workload and queues `build_started`. */
export function startBuild(db: Db, workloadId: string, by: string) {
  const w = db.prepare('SELECT * FROM workloads WHERE id = ?').get(workloadId) as
    | { id: string; project_id: string; name: string }
    | undefined;
  if (!w)
    throw new ApiError(
      404,
      'not-found',
      `There is no workload "${workloadId}"; pick one from GET /api/workloads.`,
    );
  const sha = Math.random().toString(16).slice(2, 9);
  const info = db
    .prepare(
      "INSERT INTO builds (workload_id, project_id, status, commit_sha, started_at) VALUES (?, ?, 'running', ?, ?)",
    )
    .run(w.id, w.project_id, sha, now());
  const build = {
    id: Number(info.lastInsertRowid),
    workload_id: w.id,
    project_id: w.project_id,
    name: w.name,
    commit: sha,
    by,
  };
  enqueue(db, [{ topic: `projects/${w.project_id}/builds`, type: 'build_started', data: build }]);
  return build;
}

const routes: Route[] = [
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
  // Leases
  {
    method: 'GET',
    pattern: /^\/api\/leases$/,
    auth: true,
    handler: (ctx) => async () =>
      ctx.db.prepare('SELECT * FROM leases ORDER BY pool, CAST(substr(ip, 8) AS INTEGER)').all(),
  },
  {
    method: 'GET',
    pattern: /^\/api\/stats\/pools$/,
    auth: true,
    handler: (ctx) => async () => {
      const counts = ctx.db
        .prepare("SELECT pool, count(*) AS used FROM leases WHERE state != 'expired' GROUP BY pool")
        .all() as Array<{ pool: string; used: number }>;
      return POOLS.map((p) => ({
        pool: p.name,
        size: p.size,
        used: counts.find((c) => c.pool === p.name)?.used ?? 0,
      }));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/stats\/status$/,
    auth: true,
    handler: (ctx) => async () =>
      ctx.db.prepare('SELECT state, count(*) AS count FROM leases GROUP BY state ORDER BY state').all(),
  },
  {
    method: 'POST',
    pattern: /^\/api\/leases$/,
    auth: true,
    handler: (ctx) => async (req) => {
      const input = parseWith(NewLease, await readJson(req));
      const pool = POOLS.find((p) => p.name === input.pool) as (typeof POOLS)[number];
      const taken = new Set(
        (ctx.db.prepare('SELECT ip FROM leases WHERE pool = ?').all(pool.name) as Array<{ ip: string }>).map(
          (r) => r.ip,
        ),
      );
      let ip = input.ip;
      if (ip !== undefined) {
        if (!ip.startsWith(pool.prefix))
          throw new ApiError(
            400,
            'invalid-input',
            `Field "ip": ${ip} is not in pool ${pool.name} (${pool.prefix}0/24).`,
          );
        if (taken.has(ip))
          throw new ApiError(
            409,
            'conflict',
            `The address ${ip} is already leased; renew it or choose another address.`,
          );
      } else {
        for (let i = 10; i < 10 + pool.size && ip === undefined; i++)
          if (!taken.has(`${pool.prefix}${i}`)) ip = `${pool.prefix}${i}`;
        if (ip === undefined)
          throw new ApiError(409, 'pool-full', `Pool ${pool.name} is full; remove a lease first.`);
      }
      const lease = {
        ip,
        mac: input.mac ?? randomMac(),
        hostname: input.hostname ?? randomHostname(),
        pool: pool.name,
        state: 'active',
        expires_at: leaseExpiry(),
        updated_at: now(),
      };
      ctx.db.transaction(() => {
        ctx.db.prepare('INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)').run(...Object.values(lease));
        enqueue(ctx.db, [leaseEvent('lease-added', lease, 'added')]);
      })();
      ctx.published();
      return lease;
    },
  },
  // Workloads
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
  // Operations
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
  // Collaboration
  {
    method: 'GET',
    pattern: /^\/api\/coaching\/([\w-]+)\/(actions|agreements|goals)$/,
    auth: true,
    handler:
      (ctx) =>
      async (_req, [session, kinds]) =>
        ctx.db
          .prepare('SELECT * FROM coaching_items WHERE session_id = ? AND kind = ? ORDER BY id')
          .all(session, COACHING_KINDS[kinds as keyof typeof COACHING_KINDS]),
  },
  {
    method: 'POST',
    pattern: /^\/api\/coaching\/([\w-]+)\/(actions|agreements|goals)$/,
    auth: true,
    handler:
      (ctx, user) =>
      async (req, [session, kinds]) => {
        const { body } = parseWith(ItemBody, await readJson(req));
        const kind = COACHING_KINDS[kinds as keyof typeof COACHING_KINDS];
        const by = (user as DemoUser).id;
        const status = kind === 'agreement' ? 'agreed' : 'not_started';
        const item = ctx.db.transaction(() => {
          const info = ctx.db
            .prepare(
              'INSERT INTO coaching_items (kind, session_id, body, status, created_by, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
            )
            .run(kind, session, body, status, by, by, now());
          const row = ctx.db
            .prepare('SELECT * FROM coaching_items WHERE id = ?')
            .get(info.lastInsertRowid) as {
            id: number;
            session_id: string;
          };
          enqueue(ctx.db, [coachingEvent(kind, 'created', row, by)]);
          return row;
        })();
        ctx.published();
        return item;
      },
  },
  {
    method: 'PATCH',
    pattern: /^\/api\/coaching\/items\/(\d+)$/,
    auth: true,
    handler:
      (ctx, user) =>
      async (req, [id]) => {
        const patch = parseWith(ItemPatch, await readJson(req));
        const by = (user as DemoUser).id;
        const item = ctx.db.transaction(() => {
          const row = ctx.db.prepare('SELECT * FROM coaching_items WHERE id = ?').get(id) as
            | { id: number; session_id: string; kind: string; body: string; status: string }
            | undefined;
          if (!row) throw new ApiError(404, 'not-found', `There is no item ${id}; it may have been deleted.`);
          ctx.db
            .prepare(
              'UPDATE coaching_items SET body = ?, status = ?, updated_by = ?, updated_at = ? WHERE id = ?',
            )
            .run(patch.body ?? row.body, patch.status ?? row.status, by, now(), row.id);
          const updated = ctx.db
            .prepare('SELECT * FROM coaching_items WHERE id = ?')
            .get(row.id) as typeof row;
          enqueue(ctx.db, [coachingEvent(row.kind, 'updated', updated, by)]);
          return updated;
        })();
        ctx.published();
        return item;
      },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/coaching\/items\/(\d+)$/,
    auth: true,
    handler:
      (ctx, user) =>
      async (_req, [id]) => {
        const by = (user as DemoUser).id;
        ctx.db.transaction(() => {
          const row = ctx.db.prepare('SELECT * FROM coaching_items WHERE id = ?').get(id) as
            | { id: number; session_id: string; kind: string }
            | undefined;
          if (!row)
            throw new ApiError(404, 'not-found', `There is no item ${id}; it may have been deleted already.`);
          ctx.db.prepare('DELETE FROM coaching_items WHERE id = ?').run(row.id);
          enqueue(ctx.db, [coachingEvent(row.kind, 'deleted', row, by)]);
        })();
        ctx.published();
        return { deleted: Number(id) };
      },
  },
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
  // Console
  {
    method: 'POST',
    pattern: /^\/api\/console$/,
    auth: true,
    handler: (ctx) => async (req) => {
      const { type, data } = parseWith(ConsoleEvent, await readJson(req));
      const size = JSON.stringify(data).length;
      if (size > 16 * 1024)
        throw new ApiError(413, 'payload-too-large', `The payload is ${size} bytes; keep it under 16 KiB.`);
      ctx.db.transaction(() => enqueue(ctx.db, [{ topic: 'console', type, data }]))();
      ctx.published();
      return { queued: true, type };
    },
  },
];

/** The user behind the request's bearer token, or a 401 saying how to get one. */
async function authenticate(ctx: ApiContext, req: IncomingMessage, graceS = 0): Promise<DemoUser> {
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
  const user = route.auth ? await authenticate(ctx, req, route.refresh ? 600 : 0) : undefined;
  const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
  return route.handler(ctx, user)(req, params, url);
}
