// Size of the browser client as an app would ship it: bundled (with eventsource-parser and the
// protocol helpers it uses), minified, gzipped. Budget: 12 KiB min+gzip.
// Run: node bench/client-size.mjs
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const r = await build({
  entryPoints: [new URL('../packages/client/src/index.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'silent',
  // The sources, so no build is needed first.
  alias: { '@tidings/protocol': new URL('../packages/protocol/src/index.ts', import.meta.url).pathname },
});
const bytes = r.outputFiles[0].contents;
const gz = gzipSync(bytes, { level: 9 }).length;
console.log(
  `@tidings/client: ${(bytes.length / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(2)} KiB min+gzip (budget 12 KiB)`,
);
if (gz > 12 * 1024) process.exitCode = 1;
