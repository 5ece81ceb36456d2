// `npm start`: builds the demo, then runs hub and backend in this process and prints the URL.
// Arguments are the server's (`npm start -- --port 8000`); the mode is always `all`.
import { stop } from 'esbuild';
import { buildDemo } from './build.mjs';

console.log('Building the Tidings demo…');
await buildDemo();
// The build's helper process is not needed while the demo runs.
await stop();
process.argv.splice(2, 0, 'all');
await import('../dist/server.mjs');
