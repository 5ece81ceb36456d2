// Loaded with `node --import`: `vitest` becomes the shim, as deno.json's import map does for Deno.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    const shim = ${JSON.stringify(new URL('./vitest-shim.mjs', import.meta.url).href)};
    export async function resolve(specifier, context, next) {
      return specifier === 'vitest' ? { url: shim, shortCircuit: true } : next(specifier, context);
    }`)}`,
);
