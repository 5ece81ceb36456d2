import { api } from './api.js';
import { session } from './session.js';

/**
 * The app-wide stream's token function, for a hub on the same host as the page: it sends no
 * token at all. The browser sends the hub cookie (HttpOnly, set at sign-in) with the WebSocket
 * handshake, and with the stream request under `credentials: 'include'`, so no token is ever in
 * a URL (where the browser console would print it on every failed reconnect). After a 401 or
 * the hub's `token-expired` it has the backend set a fresh cookie.
 */
export async function hubCookie({ reason }: { reason: string }): Promise<null> {
  if (reason !== 'connect') await api('/api/token', { method: 'POST' });
  return null;
}

let cached: { user: string; token: string } | undefined;
session.subscribe(() => {
  if (cached && cached.user !== session.get()?.user.id) cached = undefined;
});

/**
 * A token for a stream that sends it as an `Authorization` header (SSE over `fetch`, never in a
 * URL): fetched from the backend with the session cookie and kept in memory only; a fresh one
 * after a 401 or the hub's `token-expired`.
 */
export async function hubToken({ reason }: { reason: string }): Promise<string> {
  const user = session.get()?.user.id;
  if (!user) throw new Error('Not signed in.');
  if (reason === 'connect' && cached?.user === user) return cached.token;
  const { token } = await api<{ token: string }>('/api/token', { method: 'POST' });
  cached = { user, token };
  return token;
}
