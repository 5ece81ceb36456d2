/**
 * A module the runtime has built in (`node:fs`, `node:sqlite`, `bun:sqlite`…), fetched when it is
 * first needed through `process.getBuiltinModule`, which Node (20.16+), Bun and Deno provide:
 * importing a SQLite store then loads no runtime-specific module, so the hub's fetch handler
 * imports anywhere.
 */
export function builtinModule<T>(id: string, forWhat: string): T {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const found = proc?.getBuiltinModule?.(id);
  if (found === undefined) {
    throw new Error(
      `${forWhat} needs the built-in module "${id}", which this runtime does not provide. Use Node 20.19 or later, Bun or Deno, or give the hub a store that needs no file (memoryStore()).`,
    );
  }
  return found as T;
}
