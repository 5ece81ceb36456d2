import { z } from 'zod';
import { enqueue, now } from '../app-db.js';
import { ApiError, parseWith, readJson } from '../http-util.js';
import type { DemoUser } from '../users.js';
import type { ApiRoute } from './api-route.js';
import { coachingEvent } from './coaching-event.js';

const COACHING_KINDS = { actions: 'action', agreements: 'agreement', goals: 'goal' } as const;
const ITEM_STATUS = ['not_started', 'in_progress', 'completed', 'agreed', 'wont_do'] as const;

const ItemBody = z.object({
  body: z.string().trim().min(1, 'Write something first.').max(500, 'Keep it under 500 characters.'),
});
const ItemPatch = z
  .object({
    body: ItemBody.shape.body.optional(),
    status: z.enum(ITEM_STATUS, { error: `Status is one of ${ITEM_STATUS.join(', ')}.` }).optional(),
  })
  .refine((v) => v.body !== undefined || v.status !== undefined, 'Change the body, the status or both.');

/** The collaboration page: a coaching session's actions, agreements and goals, created, edited and deleted. */
export const coachingRoutes: ApiRoute[] = [
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
];
