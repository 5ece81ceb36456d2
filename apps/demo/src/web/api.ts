/**
 * Calls to the demo backend, signed in by the session cookie (same origin, so the browser sends
 * it); errors carry the backend's sentence. A 401 ends the session in every tab.
 */
import { session } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const s = session.get();
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: init.body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) {
    if (res.status === 401 && s) session.expired(body.message ?? 'Your session ended; sign in again.');
    throw new ApiError(res.status, body.message ?? `The request failed with HTTP ${res.status}.`);
  }
  return body as T;
}

/** A fetcher for TanStack Query and SWR. */
export const fetcher = <T>(path: string): Promise<T> => api<T>(path);
