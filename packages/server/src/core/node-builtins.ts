/** The Node built-in modules the hub uses outside its node:http entry points. */
interface Builtins {
  'node:crypto': typeof import('node:crypto');
  'node:os': typeof import('node:os');
  'node:v8': typeof import('node:v8');
  'node:vm': typeof import('node:vm');
}

/**
 * A Node built-in module, looked up when first needed (`process.getBuiltinModule`: Node 20.16+,
 * Bun, Deno) instead of imported: importing the hub for `hub.fetch` then loads no `node:` module,
 * so it also loads where there is none.
 * @returns undefined when the runtime provides no such module.
 */
export function nodeBuiltin<K extends keyof Builtins>(id: K): Builtins[K] | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return p?.getBuiltinModule?.(id) as Builtins[K] | undefined;
}

/**
 * Like {@link nodeBuiltin}, for uses that cannot do without the module.
 * @throws {Error} naming the module and what needed it, when the runtime provides none.
 */
export function requireBuiltin<K extends keyof Builtins>(id: K, what: string): Builtins[K] {
  const m = nodeBuiltin(id);
  if (m === undefined) {
    throw new Error(
      `${what} needs the ${id} module, which this runtime does not provide; run the hub on Node.js, Bun or Deno.`,
    );
  }
  return m;
}

/** The SHA-256 of a UTF-8 string, in `encoding` (Node's `createHash`, looked up on first use). */
export function sha256(text: string, encoding: 'base64' | 'base64url', what: string): string {
  return requireBuiltin('node:crypto', what).createHash('sha256').update(text).digest(encoding);
}
