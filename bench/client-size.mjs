// Size of the browser client as an app ships it: bundled (with eventsource-parser and the protocol
// helpers it uses), minified, gzipped, with code splitting as app bundlers do it. The core chunk is
// what every page loads; the WebSocket transport and commands are a separate chunk, loaded with a
// dynamic import the first time a client needs them. Budget of the core: 12 KiB min+gzip.
// Run: node bench/client-size.mjs
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const r = await build({
  entryPoints: [new URL('../packages/client/src/index.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  splitting: true,
  outdir: '/dev/null/unused',
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'silent',
  metafile: true,
  // The sources, so no build is needed first.
  alias: { '@tidings/protocol': new URL('../packages/protocol/src/index.ts', import.meta.url).pathname },
});
const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
const gz = new Map(
  r.outputFiles.map((f) => [f.path.split('/').pop(), gzipSync(f.contents, { level: 9 }).length]),
);
const raw = new Map(r.outputFiles.map((f) => [f.path.split('/').pop(), f.contents.length]));
const outputs = Object.entries(r.metafile.outputs).map(([path, o]) => ({
  ...o,
  name: path.split('/').pop(),
}));
const entry = outputs.find((o) => o.entryPoint);
// The core: the entry and whatever it imports statically.
const core = new Set([entry.name]);
for (const i of entry.imports) if (i.kind === 'import-statement') core.add(i.path.split('/').pop());
let coreGz = 0;
let total = 0;
for (const o of outputs) {
  const where = core.has(o.name) ? 'core' : 'lazy';
  console.log(
    `${where} ${o.name.padEnd(22)} ${kib(raw.get(o.name)).padStart(10)} minified ${kib(gz.get(o.name)).padStart(10)} min+gzip`,
  );
  if (where === 'core') coreGz += gz.get(o.name);
  total += gz.get(o.name);
}
console.log(`core: ${kib(coreGz)} min+gzip (budget 12 KiB); with the WebSocket chunk: ${kib(total)}`);
if (coreGz > 12 * 1024) process.exitCode = 1;
