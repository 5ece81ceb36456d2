// `npm start`: builds the demo, then runs hub and backend in this process and prints the URL.
// Arguments are the server's (`npm start -- --port 8000`); the mode is always `all`.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { stop } from 'esbuild';
import { buildDemo } from './build.mjs';

const HOST = '127.0.0.1';

/** The same sentence as portInUseMessage in src/server/listen.ts (a test holds them equal). */
function portInUseMessage(port, host, flag) {
  const which = flag === 'hub-port' ? "the demo's hub" : 'the demo';
  return `Port ${port} on ${host}, wanted by ${which}, is already in use (perhaps by a demo that is still running); stop what uses it, or pick another port: npm start -- --${flag} ${port + 10}.`;
}

/** Whether something already listens on `port`: found out before the build, not after it. */
function inUse(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e) => resolve(e.code === 'EADDRINUSE'));
    probe.listen(port, HOST, () => probe.close(() => resolve(false)));
  });
}

// Only the ports are read here; the server checks every argument (and says what is wrong) itself.
const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  options: { port: { type: 'string' }, 'hub-port': { type: 'string' } },
});
for (const [flag, fallback] of [
  ['port', 5180],
  ['hub-port', 5181],
]) {
  const given = values[flag];
  const port = given === undefined ? fallback : Number(given);
  if (Number.isInteger(port) && port > 0 && port < 65536 && (await inUse(port))) {
    process.stderr.write(`${portInUseMessage(port, HOST, flag)}\n`);
    process.exit(2);
  }
}

console.log('Building the Tidings demo…');
await buildDemo();
// The build's helper process is not needed while the demo runs.
await stop();
process.argv.splice(2, 0, 'all');
await import('../dist/server.mjs');
