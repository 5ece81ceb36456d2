// `npm start`: builds the demo, then runs hub and backend in one process and prints the URL.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildDemo } from './build.mjs';

console.log('Building the Tidings demo…');
await buildDemo();
const child = spawn(
  process.execPath,
  [fileURLToPath(new URL('../dist/server.mjs', import.meta.url)), 'all', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
child.on('exit', (code) => process.exit(code ?? 0));
