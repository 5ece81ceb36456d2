import type { LogoutTarget } from '../../auth/forced-logout.js';
import { HubError } from '../../core/errors.js';
import type { HubRequest, HubResponse } from '../../http/hub-request.js';
import { json } from '../../http/hub-request.js';
import { parseJsonBody } from '../../http/parse-json-body.js';

/** Largest `POST /disconnect` body. */
const MAX_BODY = 4096;
const MAX_ID = 256;
const MAX_REASON = 256;

function bad(message: string): HubError {
  return new HubError(400, 'bad-request', message);
}

const HINT =
  'Send {"user":"u1","reason":"…"} or {"session":"s1","reason":"…"}, with "tenant" to name one tenant.';

/**
 * Parses a `POST /disconnect` body: `{"user": "u1", "reason": "…"}` or `{"session": "s1", …}`,
 * optionally with `"tenant": "t1"` to limit the logout to that tenant's principals.
 * @param maxJsonDepth deepest nesting accepted before parsing (`HubOptions.maxJsonDepth`).
 * @throws HubError 400 / 413 / 415 saying what to send instead.
 */
export async function parseDisconnect(req: HubRequest, maxJsonDepth?: number): Promise<LogoutTarget> {
  const ctype = req.header('content-type');
  if (ctype && !/^application\/([\w.+-]*\+)?json\b/i.test(ctype)) {
    throw new HubError(
      415,
      'unsupported-media-type',
      `POST /disconnect takes application/json, not ${ctype.split(';')[0]}.`,
    );
  }
  const body = parseJsonBody(await req.text(MAX_BODY), { maxDepth: maxJsonDepth, hint: HINT });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('Send a JSON object such as {"user":"u1","reason":"password changed"}.');
  }
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'user' && k !== 'session' && k !== 'reason' && k !== 'tenant') {
      throw bad(`Unknown field "${k}"; a disconnect has "user" or "session", "reason" and "tenant".`);
    }
  }
  const id = (field: 'user' | 'session' | 'tenant') => {
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
  const tenant = id('tenant');
  return { user, session, reason, ...(tenant !== undefined && { tenant }) };
}

/** The `200` answer: streams closed by the node that answered. */
export function disconnectAnswer(closed: number): HubResponse {
  return json(200, { disconnected: closed });
}
