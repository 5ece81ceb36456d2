import type { CommandCallOptions } from '@tidings/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTidingsContext } from './tidings-context.js';

/** What {@link useCommand} returns. */
export interface UseCommandResult<A, R> {
  /**
   * Runs the command with `args`. Resolves with the hub's result, or with `undefined` when it
   * failed: it never rejects, so it can be an `onClick` as is; the failure is in `error`.
   */
  run(args?: A, options?: CommandCallOptions): Promise<R | undefined>;
  /** True while a call of this hook waits for the hub's answer. */
  pending: boolean;
  /**
   * The failure of the last call (a `CommandError` with `code` and a sentence as `message`:
   * `forbidden`, `timeout`, `connection-lost`…), or `null`. Cleared when a call starts.
   */
  error: Error | null;
  /** The result of the last call that succeeded, or `undefined`. */
  result: R | undefined;
}

/**
 * Runs a hub command (`hub.onCommand(name, …)`) through the provider's client: over WebSocket
 * with `transport: 'websocket'` or `'auto'`, over `POST /commands/{name}` on SSE. The component
 * re-renders when `pending`, `error` or `result` change; `run` keeps its identity as long as the
 * client and `name` do.
 *
 * @example
 * ```tsx
 * function PauseButton({ jobId }: { jobId: string }) {
 *   const pause = useCommand<{ jobId: string }, JobState>('job.pause');
 *   return (
 *     <>
 *       <button disabled={pause.pending} onClick={() => pause.run({ jobId })}>Pause</button>
 *       {pause.error && <p role="alert">{pause.error.message}</p>}
 *     </>
 *   );
 * }
 * ```
 * @see TidingsClient.command for the transports, timeouts and error codes.
 */
export function useCommand<A = unknown, R = unknown>(name: string): UseCommandResult<A, R> {
  const { client } = useTidingsContext('useCommand');
  const [state, setState] = useState<{ pending: number; error: Error | null; result: R | undefined }>({
    pending: 0,
    error: null,
    result: undefined,
  });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(
    async (args?: A, options?: CommandCallOptions): Promise<R | undefined> => {
      setState((s) => ({ ...s, pending: s.pending + 1, error: null }));
      try {
        const result = await client.command<R>(name, args, options);
        if (mounted.current) setState((s) => ({ pending: s.pending - 1, error: null, result }));
        return result;
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        if (mounted.current) setState((s) => ({ ...s, pending: s.pending - 1, error }));
        return undefined;
      }
    },
    [client, name],
  );
  return { run, pending: state.pending > 0, error: state.error, result: state.result };
}
