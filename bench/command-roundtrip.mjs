// Round trip of a command through the hub: a no-op handler called over a real socket, one call at
// a time (latency) and 32 at a time (throughput; the most one connection may have running), over WebSocket with the client and over
// POST /commands/{name}. Run after `npx tsc -b`:
//   node bench/command-roundtrip.mjs
// Numbers depend on the machine (and on what else runs on it); compare rows with each other.
import { once } from 'node:events';
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { createClient } from '../packages/client/dist/index.js';
import { createHub, memoryStore } from '../packages/server/dist/index.js';

// No message rate limit: the benchmark sends thousands of commands a second on one connection.
const hub = createHub({ store: memoryStore(), webSocketMessageRate: false });
hub.onCommand('bench.noop', (args) => args);
const server = createServer(hub.handleNode);
server.on('upgrade', hub.handleUpgrade);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${server.address().port}/events`;

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
function report(name, samples, total, ms) {
  samples.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} p50 ${pct(samples, 50).toFixed(3)} ms  p99 ${pct(samples, 99).toFixed(3)} ms  ${Math.round((total / ms) * 1000)} commands/s`,
  );
}

async function measure(name, call) {
  for (let i = 0; i < 300; i++) await call(i); // warm up
  const samples = [];
  const n = 3000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call(i);
    samples.push(performance.now() - s);
  }
  const sequential = performance.now() - t0;
  report(`${name}, one at a time`, samples, n, sequential);
  const batches = 100;
  const par = [];
  t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const s = performance.now();
    await Promise.all(Array.from({ length: 32 }, (_, i) => call(i)));
    par.push((performance.now() - s) / 32);
  }
  report(`${name}, 32 in flight`, par, batches * 32, performance.now() - t0);
}

for (const transport of ['websocket', 'sse']) {
  const client = createClient({ url, topics: ['bench'], transport, environment: { WebSocket } });
  client.connect();
  while (client.state.status !== 'connected') await new Promise((r) => setTimeout(r, 10));
  await measure(`client.command over ${transport === 'sse' ? 'HTTP (sse)' : 'WebSocket'}`, (i) =>
    client.command('bench.noop', { i }),
  );
  if (transport === 'websocket') {
    await new Promise((r) => setTimeout(r, 1100));
    console.log(`client.latencyMs (ping) ${client.latencyMs?.toFixed(3)} ms`);
  }
  client.disconnect();
}
await hub.close();
server.closeAllConnections();
server.close();
