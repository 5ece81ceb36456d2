import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The frontend resolves the Tidings packages to their sources, so it needs no `tsc -b` first. */
export default defineConfig({
  root: here('./src/web'),
  base: '/',
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^@tidings\/protocol$/, replacement: here('../../packages/protocol/src/index.ts') },
      { find: /^@tidings\/client$/, replacement: here('../../packages/client/src/index.ts') },
      { find: /^@tidings\/react\/styles\.css$/, replacement: here('../../packages/react/styles.css') },
      {
        find: /^@tidings\/react\/(query|swr|toast)$/,
        replacement: here('../../packages/react/src/$1/index.ts'),
      },
      { find: /^@tidings\/react$/, replacement: here('../../packages/react/src/index.ts') },
    ],
  },
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: here('./dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // "use client" directives and comment positions in dependencies: harmless for a client bundle.
      onwarn(w, warn) {
        if (w.code === 'MODULE_LEVEL_DIRECTIVE' || w.code === 'INVALID_ANNOTATION') return;
        warn(w);
      },
    },
  },
});
