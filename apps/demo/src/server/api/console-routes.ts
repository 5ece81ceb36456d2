import { z } from 'zod';
import { enqueue } from '../app-db.js';
import { ApiError, parseWith, readJson } from '../http-util.js';
import type { ApiRoute } from './api-route.js';

const ConsoleEvent = z.object({
  type: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
      'The event type is 1-64 letters, digits, ".", "_", ":" or "-".',
    ),
  data: z.unknown().refine((d) => d !== undefined, 'Give a JSON payload in "data" (any JSON value).'),
});

/** The console page: publishing any event on the `console` topic. */
export const consoleRoutes: ApiRoute[] = [
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
