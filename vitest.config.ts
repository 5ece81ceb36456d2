import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Tests run against the TypeScript sources, so they need no build. */
export const sourceAliases = [
  { find: /^@tidings\/protocol$/, replacement: here('packages/protocol/src/index.ts') },
  { find: /^@tidings\/server\/testing$/, replacement: here('packages/server/src/testing/index.ts') },
  { find: /^@tidings\/server\/redis$/, replacement: here('packages/server/src/redis/index.ts') },
  { find: /^@tidings\/server$/, replacement: here('packages/server/src/index.ts') },
  { find: /^@tidings\/client$/, replacement: here('packages/client/src/index.ts') },
  { find: /^@tidings\/cli$/, replacement: here('packages/cli/src/index.ts') },
];

const pkg = (name: string) => ({
  extends: true as const,
  test: {
    name,
    include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`],
  },
});

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    projects: [pkg('protocol'), pkg('server'), pkg('client'), pkg('cli')],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
