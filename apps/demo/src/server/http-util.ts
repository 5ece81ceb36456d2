/** Small HTTP helpers of the backend: JSON answers, bodies with a size limit, errors as sentences. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** An error answered as `{error, message}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A route's answer when it needs more than a JSON body: its own status, or cookies to set. */
export class ApiAnswer {
  constructor(
    readonly body: unknown,
    readonly o: { status?: number; cookies?: readonly string[] } = {},
  ) {}
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  cookies: readonly string[] = [],
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(cookies.length > 0 ? { 'set-cookie': [...cookies] } : {}),
  });
  res.end(text);
}

const MAX_BODY = 64 * 1024;

/** Reads a JSON body (at most 64 KiB). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new ApiError(
      415,
      'unsupported-media-type',
      'Send the body as JSON with content-type: application/json.',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY)
      throw new ApiError(413, 'body-too-large', 'The body is larger than 64 KiB; send less.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid-json', 'The body is not valid JSON; check quotes and commas.');
  }
}

/** Parses `value` with `schema`, turning the first issue into a 400 that names the field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `Field "${issue.path.join('.')}": ` : '';
  const msg = issue?.message ?? 'invalid input';
  throw new ApiError(
    400,
    'invalid-input',
    `${where}${msg.charAt(0).toUpperCase()}${msg.slice(1)}${/[.!?]$/.test(msg) ? '' : '.'}`,
  );
}
