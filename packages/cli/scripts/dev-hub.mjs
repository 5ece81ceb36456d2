#!/usr/bin/env node
// `npm run hub`: builds the workspace (`tsc -b`), saying so while it works, then runs
// `tidings serve --dev` in this same process with any extra arguments
// (`npm run hub -- --port 9000`), so Ctrl-C reaches the hub directly.
// Progress goes to stderr: stdout stays the hub's logs (JSON lines when piped).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const err = process.stderr;
const tty = err.isTTY === true;

const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const label = 'Building the packages (tsc -b)…';
err.write(tty ? label : `${label}\n`);
// On a terminal the line counts the seconds, so a long first build does not look like a hang.
const ticker = tty ? setInterval(() => err.write(`\r${label} ${seconds()} s`), 500) : undefined;

// tsc's own output is kept until it matters: interleaved with the ticker it would be garbled.
const build = spawn(process.execPath, [tsc, '-b'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
build.stdout.on('data', (d) => {
  output += d;
});
build.stderr.on('data', (d) => {
  output += d;
});
const code = await new Promise((resolve) => build.on('close', (c) => resolve(c ?? 1)));
clearInterval(ticker);
if (tty) err.write('\r\x1b[2K');
if (code !== 0) {
  err.write(
    `${output}The build failed after ${seconds()} s (tsc -b exited with ${code}); fix the errors above and run npm run hub again.\n`,
  );
  process.exit(typeof code === 'number' ? code : 1);
}
err.write(`Built the packages in ${seconds()} s; starting the hub (tidings serve --dev).\n`);

process.argv = [process.argv[0] ?? process.execPath, bin, 'serve', '--dev', ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);
