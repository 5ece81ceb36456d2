import type { LogoutTarget } from '../auth/forced-logout.js';
import { HubError } from '../errors.js';
import type { HubRequest, HubResponse } from '../http/hub-request.js';
import { json } from '../http/hub-request.js';

/** Largest `POST /disconnect` body. */
const MAX_BODY = 4096;
const MAX_ID = 256;
const MAX_REASON = 256;

function bad(message: string): HubError {
  return new HubError(400, 'bad-request', message);
}

/**
 * Parses a `POST /disconnect` body: `{"user": "u1", "reason": "…"}` or `{"session": "s1", …}`.
 * @throws HubError 400 / 413 / 415 saying what to send instead.
 */
export async function parseDisconnect(req: HubRequest): Promise<LogoutTarget> {
  const ctype = req.header('content-type');
  if (ctype && !/^application\/([\w.+-]*\+)?json\b/i.test(ctype)) {
    throw new HubError(
      415,
      'unsupported-media-type',
      `POST /disconnect takes application/json, not ${ctype.split(';')[0]}.`,
    );
  }
  const text = await req.text(MAX_BODY);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HubError(
      400,
      'invalid-json',
      `The request body is not valid JSON (${(e as Error).message}). Send {"user":"u1","reason":"…"} or {"session":"s1","reason":"…"}.`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('Send a JSON object such as {"user":"u1","reason":"password changed"}.');
  }
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'user' && k !== 'session' && k !== 'reason') {
      throw bad(`Unknown field "${k}"; a disconnect has "user" or "session", and "reason".`);
    }
  }
  const id = (field: 'user' | 'session') => {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID) {
      throw bad(`The "${field}" field must be a non-empty string of at most ${MAX_ID} characters.`);
    }
    return v;
  };
  const user = id('user');
  const session = id('session');
  if ((user === undefined) === (session === undefined)) {
    throw bad('Name exactly one of "user" or "session" to disconnect.');
  }
  const reason = o.reason ?? 'logged-out';
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON) {
    throw bad(`The "reason" field must be a non-empty string of at most ${MAX_REASON} characters.`);
  }
  return { user, session, reason };
}

/** The `200` answer: streams closed by the node that answered. */
export function disconnectAnswer(closed: number): HubResponse {
  return json(200, { disconnected: closed });
}
