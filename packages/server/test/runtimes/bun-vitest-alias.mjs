// Preloaded by `bun --preload`: `vitest` becomes the shim, as deno.json's import map does for Deno.
import * as shim from './vitest-shim.mjs';

Bun.plugin({
  name: 'vitest-shim',
  setup(build) {
    build.module('vitest', () => ({ exports: { ...shim }, loader: 'object' }));
  },
});
