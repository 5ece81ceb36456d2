import type { HubRequest } from '../http/hub-request.js';
import type { Middleware } from '../http/route.js';
import type { MemoryAccountant } from './memory-accountant.js';

/**
 * What opening a stream is charged at admission: node:http's objects of the socket, the
 * connection, its greeting and first frames (an idle stream measures about 12 KB).
 */
export const STREAM_COST = 64 * 1024;
/** What a resume is charged at admission on top of the stream: its first page of history. */
export const REPLAY_COST = 1024 * 1024;
/**
 * Bytes of memory per byte of request body while it is read and handled: the chunks, their
 * concatenation, the decoded string, the parsed value, the re-serialised payloads and their
 * encoded frames (measured: a 900 KiB batch of 60 KiB events holds about 6 times its size).
 */
export const BODY_FACTOR = 6;

/** Paths whose requests are the operator's own (forced logout, admin): never refused for memory. */
function isOperatorPath(path: string): boolean {
  return path === '/disconnect' || path.startsWith('/admin/');
}

/** Whether a stream request resumes from history (and so costs a replay). */
function resumes(req: HubRequest): boolean {
  const header = req.header('last-event-id');
  if (header !== undefined && header !== '') return true;
  const q = req.url.searchParams;
  return Boolean(q.get('lastEventId') || q.get('lastEventID'));
}

/** Bytes a request's body may take: its declared length, or the route's limit when undeclared. */
function bodyBytes(req: HubRequest, maxBodyBytes: number): number {
  const length = req.header('content-length');
  if (length !== undefined) {
    const n = Number(length);
    return Number.isFinite(n) && n >= 0 ? Math.min(n, maxBodyBytes) : maxBodyBytes;
  }
  return req.header('transfer-encoding') !== undefined ? maxBodyBytes : 0;
}

/**
 * The middleware that asks the {@link MemoryAccountant} before the hub takes on new work: a
 * stream (`isStream`: `/events`, Mercure's, and `/ws`, whose upgrade is refused before the
 * handshake), a resume, or a request body (its declared size, reserved until the answer). Over
 * the budget the request gets `503 unavailable` with `Retry-After` before anything is read or
 * stored; requests already admitted, and open streams, are never touched.
 *
 * It runs after the security middleware, so a publish or command with bad credentials gets 401
 * before it is charged. Streams are authorized by their routes, after this: over the budget they
 * get 503 without the cost of verifying a token.
 */
export function memoryAdmission(
  accountant: MemoryAccountant,
  isStream: (path: string) => boolean,
  maxBodyBytes: number,
): Middleware {
  return async (req, next) => {
    if (req.method === 'GET') {
      if (isStream(req.path)) {
        if (resumes(req)) accountant.admit('replay', STREAM_COST + REPLAY_COST);
        else accountant.admit('stream', STREAM_COST);
      }
      return next();
    }
    const bytes = bodyBytes(req, maxBodyBytes) * BODY_FACTOR;
    if (bytes === 0 || isOperatorPath(req.path)) return next();
    accountant.admit('body', bytes);
    const release = accountant.reserve('bodies', bytes);
    try {
      return await next();
    } finally {
      release();
    }
  };
}
