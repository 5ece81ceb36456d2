import { HubError } from '../core/errors.js';
import type { HubRequest } from '../http/hub-request.js';

/** Where a request's credentials came from. */
export type TokenSource = 'query' | 'header' | 'cookie';

/** A bearer credential found on a request. */
export interface FoundToken {
  readonly token: string;
  readonly source: TokenSource;
}

/** Longest token accepted, in characters; longer ones are refused before any verification. */
export const MAX_TOKEN_LENGTH = 8192;

/** Query parameter that carries a token (EventSource cannot set headers). */
export const TOKEN_QUERY_PARAM = 'token';

// The query token is taken off the URL as early as possible, so that nothing downstream (logs,
// observers, metrics, error bodies) can ever see it.
const stripped = new WeakMap<HubRequest, string>();

/**
 * Removes `?token=` from the request URL and keeps it aside for {@link findToken}. The hub runs
 * this before any route, so the URL that observers and loggers see never holds the token.
 */
export function stripQueryToken(req: HubRequest): void {
  const params = req.url.searchParams;
  if (!params.has(TOKEN_QUERY_PARAM)) return;
  stripped.set(req, params.get(TOKEN_QUERY_PARAM) ?? '');
  params.delete(TOKEN_QUERY_PARAM);
}

/**
 * The request's `?token=` value, also after `stripQueryToken` took it off the URL (which the
 * hub does for every request before routing): routes that accept a token in the query read it
 * here, never from `req.url`.
 * @returns `null` when the request has no `token` parameter.
 */
export function queryToken(req: HubRequest): string | null {
  return stripped.get(req) ?? req.url.searchParams.get(TOKEN_QUERY_PARAM);
}

/**
 * The request as an authorizer expects it: with `?token=` back in its URL if the hub took it off.
 * Only authorizers get this view; routes, observers and logs keep the stripped URL.
 */
export function withQueryToken(req: HubRequest): HubRequest {
  const token = stripped.get(req);
  if (token === undefined) return req;
  const url = new URL(req.url.href);
  url.searchParams.set(TOKEN_QUERY_PARAM, token);
  return { ...req, url };
}

/**
 * The credentials of an `Authorization: Bearer <token>` header (scheme case-insensitive), with
 * the blanks around them trimmed; they may be empty, or hold blanks (a passphrase).
 * @returns `undefined` when the header is absent or names another scheme.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^[ \t]*Bearer[ \t]+(.*?)[ \t]*$/i.exec(header);
  return m ? (m[1] ?? '') : undefined;
}

/** Reads one cookie from a `Cookie` header; `undefined` when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="tidings"' };
const INVALID = { 'www-authenticate': 'Bearer realm="tidings", error="invalid_token"' };

function checked(token: string, source: TokenSource, what: string): FoundToken {
  if (token.length === 0) {
    throw new HubError(
      401,
      'unauthorized',
      `The ${what} is empty; send a token or leave it out.`,
      { source },
      CHALLENGE,
    );
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new HubError(
      401,
      'invalid-token',
      `The ${what} is ${token.length} characters long; tokens are at most ${MAX_TOKEN_LENGTH}. Put fewer claims in it.`,
      { source, limit: MAX_TOKEN_LENGTH },
      INVALID,
    );
  }
  return { token, source };
}

/**
 * Finds the request's token, in this order: `?token=`, `Authorization: Bearer`, then the cookie
 * named `cookieName`. The first source present wins, even if a later one also holds a token.
 * @returns `undefined` when no source is present.
 * @throws HubError 401 when a source is present but unusable (empty, overlong, not `Bearer`).
 */
export function findToken(req: HubRequest, cookieName: string): FoundToken | undefined {
  stripQueryToken(req);
  const q = stripped.get(req);
  if (q !== undefined) return checked(q, 'query', '?token= parameter');
  const auth = req.header('authorization');
  if (auth !== undefined) {
    const token = bearerToken(auth);
    // A JWT or key never holds a space: one that does is another scheme's credentials.
    if (token === undefined || /[ \t]/.test(token)) {
      throw new HubError(
        401,
        'unauthorized',
        'The Authorization header must be "Bearer <token>"; other schemes are not accepted.',
        { source: 'header' },
        CHALLENGE,
      );
    }
    return checked(token, 'header', 'Bearer token');
  }
  const c = readCookie(req.header('cookie'), cookieName);
  if (c !== undefined) return checked(c, 'cookie', `${cookieName} cookie`);
  return undefined;
}
