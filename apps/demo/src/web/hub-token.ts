import { api } from './api.js';
import { session } from './session.js';

/**
 * The hub's token function: the cached token on a plain connect, a fresh one from the backend
 * after a 401 or the hub's `token-expired`.
 */
export async function hubToken({ reason }: { reason: string }): Promise<string> {
  const s = session.get();
  if (!s) throw new Error('Not signed in.');
  if (reason === 'connect') return s.token;
  const { token } = await api<{ token: string }>('/api/token', { method: 'POST' });
  session.setToken(token);
  return token;
}
