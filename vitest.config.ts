import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Tests run against the TypeScript sources, so they need no build. */
export const sourceAliases = [
  { find: /^@tidings\/protocol$/, replacement: here('packages/protocol/src/index.ts') },
  { find: /^@tidings\/server\/testing$/, replacement: here('packages/server/src/testing/index.ts') },
  { find: /^@tidings\/server\/redis$/, replacement: here('packages/server/src/engines/redis/index.ts') },
  {
    find: /^@tidings\/server\/(express|fastify|hono|next|node)$/,
    replacement: here('packages/server/src/adapters/$1.ts'),
  },
  { find: /^@tidings\/server$/, replacement: here('packages/server/src/index.ts') },
  { find: /^@tidings\/client$/, replacement: here('packages/client/src/index.ts') },
  { find: /^@tidings\/cli$/, replacement: here('packages/cli/src/index.ts') },
  { find: /^@tidings\/react\/(query|swr|toast)$/, replacement: here('packages/react/src/$1/index.ts') },
  { find: /^@tidings\/react$/, replacement: here('packages/react/src/index.ts') },
];

const pkg = (name: string) => ({
  extends: true as const,
  test: {
    name,
    include: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/test/**/*.test.ts`],
  },
});

/**
 * The React suite runs twice: against React 19 (the root install) and React 18 (installed nested
 * in tools/react-18, so its react-dom requires its own react). Libraries that import React are
 * inlined so these aliases reach their imports too.
 */
const reactProject = (name: string, react18: boolean) => ({
  extends: true as const,
  resolve: react18
    ? {
        alias: [
          { find: /^react$/, replacement: here('tools/react-18/node_modules/react/index.js') },
          { find: /^react\/(.*)$/, replacement: here('tools/react-18/node_modules/react/$1.js') },
          { find: /^react-dom$/, replacement: here('tools/react-18/node_modules/react-dom/index.js') },
          { find: /^react-dom\/(.*)$/, replacement: here('tools/react-18/node_modules/react-dom/$1.js') },
          {
            find: /^use-sync-external-store\/shim(\/index\.js)?$/,
            replacement: here('tools/react-18/use-sync-external-store-shim.js'),
          },
          // Its ESM build, so the aliases above reach its imports (the CommonJS one would require React 19).
          {
            find: /^@testing-library\/react$/,
            replacement: here('node_modules/@testing-library/react/dist/@testing-library/react.esm.js'),
          },
        ],
      }
    : {},
  test: {
    name,
    environment: 'jsdom',
    env: { TIDINGS_REACT_MAJOR: react18 ? '18' : '19' },
    include: ['packages/react/src/**/*.test.{ts,tsx}', 'packages/react/test/*.test.{ts,tsx}'],
    setupFiles: [here('packages/react/test/setup.ts')],
    server: {
      deps: { inline: [/@testing-library\/react/, /sonner/, /swr/, /@tanstack\/react-query/, /zustand/] },
    },
  },
});

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    projects: [
      pkg('protocol'),
      pkg('server'),
      pkg('client'),
      pkg('cli'),
      reactProject('react', false),
      reactProject('react-18', true),
      {
        extends: true as const,
        test: { name: 'bench', include: ['bench/src/**/*.test.ts', 'bench/test/**/*.test.ts'] },
      },
      {
        extends: true as const,
        test: {
          name: 'examples',
          include: ['examples/*/*.test.ts'],
          // `next build` alone takes 30 s on an idle machine.
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true as const,
        test: { name: 'react-node', include: ['packages/react/test/{browser,node}/*.test.ts'] },
      },
      {
        extends: true as const,
        test: {
          name: 'demo',
          include: ['apps/demo/src/**/*.test.ts', 'apps/demo/test/*.test.ts'],
          // The frontend and the server bundle are built once for the whole project.
          globalSetup: [here('apps/demo/test/global-setup.ts')],
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
