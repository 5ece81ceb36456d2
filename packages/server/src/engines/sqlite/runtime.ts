/** The JavaScript runtime this process runs on. */
export type Runtime = 'bun' | 'deno' | 'node';

/** Bun and Deno announce themselves with a global; anything else is taken for Node. */
export function currentRuntime(): Runtime {
  if ('Bun' in globalThis) return 'bun';
  if ('Deno' in globalThis) return 'deno';
  return 'node';
}
