import { jsonDepth, validatePublishType } from '@tidings/protocol';
import { z } from 'zod';
import { enqueue } from '../app-db.js';
import { ApiError, parseWith, readJson } from '../http-util.js';
import { MAX_PAYLOAD_DEPTH } from '../outgoing-event-check.js';
import type { ApiRoute } from './api-route.js';

/** Largest console payload, in bytes of JSON. */
export const CONSOLE_MAX_PAYLOAD_BYTES = 16 * 1024;

// The type follows the hub's own rule (the protocol's), so the console accepts exactly what the
// hub publishes: the hub's reserved types (reset, heartbeat, …) are refused here, not queued.
const ConsoleEvent = z.object(
  {
    type: z.unknown().superRefine((t, c) => {
      const problem = validatePublishType(typeof t === 'string' ? t.trim() : t);
      if (problem) c.addIssue({ code: 'custom', message: problem });
    }),
    data: z.unknown().refine((d) => d !== undefined, 'Give a JSON payload in "data" (any JSON value).'),
  },
  { error: 'Send {"type": "...", "data": ...} as a JSON object.' },
);

/** The console page: publishing any event on the `console` topic. */
export const consoleRoutes: ApiRoute[] = [
  {
    method: 'POST',
    pattern: /^\/api\/console$/,
    auth: true,
    handler: (ctx) => async (req) => {
      const parsed = parseWith(ConsoleEvent, await readJson(req));
      const type = (parsed.type as string).trim();
      const json = JSON.stringify(parsed.data);
      const size = Buffer.byteLength(json);
      if (size > CONSOLE_MAX_PAYLOAD_BYTES)
        throw new ApiError(
          413,
          'payload-too-large',
          `The payload is ${size} bytes; keep it under ${CONSOLE_MAX_PAYLOAD_BYTES / 1024} KiB.`,
        );
      if (jsonDepth(json, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH)
        throw new ApiError(
          400,
          'invalid-input',
          `Field "data": The payload nests arrays and objects more than ${MAX_PAYLOAD_DEPTH} deep; send a flatter payload.`,
        );
      ctx.db.transaction(() => enqueue(ctx.db, [{ topic: 'console', type, data: parsed.data }]))();
      ctx.published();
      return { queued: true, type };
    },
  },
];
