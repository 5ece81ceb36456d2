/**
 * The demo's two HttpOnly cookies. The session cookie signs the browser in to the backend, in
 * every tab of the origin; the hub cookie carries the user's hub token, which the browser sends
 * with the WebSocket handshake (and the stream request) to the hub on the same host, so the
 * token never appears in a URL. Cookies ignore ports: the hub on :5181 gets the cookie the
 * backend on :5180 set.
 */
import type { IncomingMessage } from 'node:http';

/** The backend session (a token signed with a key the hub does not know). */
export const SESSION_COOKIE = 'tidings_demo_session';
/** The hub token; the demo hub reads it as its `cookieName`. */
export const HUB_COOKIE = 'tidings_demo_hub';
/** How long a sign-in lasts. */
export const SESSION_TTL_S = 7 * 24 * 3600;

/** A `Set-Cookie` value: HttpOnly, SameSite=Strict, whole host; `maxAgeS` 0 deletes it. */
export function setCookie(name: string, value: string, maxAgeS: number): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

/** One cookie of the request, or undefined. */
export function requestCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
