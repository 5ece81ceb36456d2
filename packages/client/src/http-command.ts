import type { CommandError } from './command-error.js';
import type { ClientEnvironment } from './environment.js';
import type { ResolvedOptions } from './resolve-options.js';
import { describeNetworkError } from './websocket-transport.js';

/** What a command whose answer did not come may have done. */
export const UNKNOWN_OUTCOME = 'it may or may not have run, so check before retrying.';

/**
 * A command on the SSE transport: `POST /commands/{name}` with the arguments as JSON body and the
 * token and headers of the stream. A 401 fetches a fresh token and tries once more; the result or
 * the hub's error comes back as the command's outcome.
 * @param Err - `CommandError`, passed in so that this lazy chunk shares no module with the core.
 */
export async function httpCommand(
  o: ResolvedOptions,
  env: Pick<ClientEnvironment, 'fetch' | 'timers'>,
  Err: typeof CommandError,
  name: string,
  args: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const fetchFn = env.fetch;
  if (!fetchFn) {
    throw new Err(
      'network',
      'This environment has no fetch, which commands need on the SSE transport; pass environment.fetch.',
    );
  }
  const abort = new AbortController();
  const timer = env.timers.setTimeout(() => abort.abort(), timeoutMs);
  try {
    for (let reason: 'connect' | 'unauthorized' = 'connect'; ; reason = 'unauthorized') {
      const token = typeof o.token === 'function' ? await o.token({ reason }) : o.token;
      const extra = typeof o.headers === 'function' ? await o.headers() : o.headers;
      const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetchFn(new URL(`commands/${name}`, o.url).href, {
        method: 'POST',
        headers,
        body: JSON.stringify(args === undefined ? null : args),
        credentials: o.credentials,
        signal: abort.signal,
      });
      if (res.status === 401 && reason === 'connect' && typeof o.token === 'function') continue;
      const body = (await res.json().catch(() => undefined)) as
        | { result?: unknown; error?: { code?: string; message?: string } }
        | undefined;
      if (res.ok) return body?.result;
      throw new Err(
        body?.error?.code ?? 'internal',
        body?.error?.message ?? `The hub answered ${res.status} to the command "${name}".`,
        res.status,
      );
    }
  } catch (e) {
    if (e instanceof Err) throw e;
    if (abort.signal.aborted) {
      throw new Err(
        'timeout',
        `No answer to the command "${name}" within ${timeoutMs} ms; ${UNKNOWN_OUTCOME}`,
      );
    }
    throw new Err('network', `The command "${name}" could not reach the hub: ${describeNetworkError(e)}.`);
  } finally {
    env.timers.clearTimeout(timer);
  }
}
