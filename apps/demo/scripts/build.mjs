// Builds the demo: the server bundled by esbuild from the TypeScript sources of the Tidings
// packages (no `tsc -b` needed), the frontend by Vite. Usable as a module: `buildDemo()`.
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../../../');

/** `@tidings/x` and its subpaths resolve to the package sources. */
export const tidingsSources = {
  '@tidings/protocol': `${root}packages/protocol/src/index.ts`,
  '@tidings/server': `${root}packages/server/src/index.ts`,
  '@tidings/client': `${root}packages/client/src/index.ts`,
  '@tidings/react': `${root}packages/react/src/index.ts`,
  '@tidings/react/query': `${root}packages/react/src/query/index.ts`,
  '@tidings/react/swr': `${root}packages/react/src/swr/index.ts`,
  '@tidings/react/toast': `${root}packages/react/src/toast/index.ts`,
  '@tidings/react/styles.css': `${root}packages/react/styles.css`,
};

export async function buildServer() {
  await esbuild({
    entryPoints: [here('../src/server/main.ts')],
    outfile: here('../dist/server.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'tidings-sources',
        setup(b) {
          b.onResolve({ filter: /^@tidings\// }, (a) => ({ path: tidingsSources[a.path] }));
          // npm packages stay imports, resolved from node_modules at run time.
          b.onResolve({ filter: /^[^./]/ }, (a) =>
            a.path.startsWith('@tidings/') ? undefined : { external: true },
          );
        },
      },
    ],
  });
}

export async function buildWeb() {
  const { build } = await import('vite');
  await build({ configFile: here('../vite.config.ts'), logLevel: 'warn' });
}

export async function buildDemo() {
  await Promise.all([buildServer(), buildWeb()]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = Date.now();
  await buildDemo();
  console.log(`demo built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
