// Publish and fan-out throughput of the Redis engine: two hub nodes in this process, each with
// its own connections, publishing on one and counting what the other receives.
//   npm run build && node bench/redis-throughput.mjs [redis://127.0.0.1:6379]
// Uses a random key prefix and deletes its keys afterwards; never flushes the Redis it is given.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisEngine } from '../packages/server/dist/engines/redis/index.js';
import { createHub } from '../packages/server/dist/index.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';
const prefix = `tidings-bench-${randomBytes(4).toString('hex')}`;
const a = createHub({ engine: redisEngine(url, { keyPrefix: prefix }) });
const b = createHub({ engine: redisEngine(url, { keyPrefix: prefix }) });
await Promise.all([a.engine.ready(), b.engine.ready()]);
let received = 0;
b.engine.broker.subscribe((events) => {
  received += events.length;
});
const payload = { ip: '10.0.0.7', mac: '00:11:22:33:44:55', hostname: 'printer-3' };

async function run(name, total, inFlight, batch) {
  const start = received;
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const n = Math.min(batch, total - next);
      next += n;
      const items = Array.from({ length: n }, (_, i) => ({
        topic: `leases/${i % 50}`,
        type: 'lease',
        data: payload,
      }));
      await (batch === 1 ? a.publish(items[0]) : a.publish(items));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const acked = performance.now() - t0;
  while (received - start < total) await new Promise((r) => setTimeout(r, 1));
  const delivered = performance.now() - t0;
  const rate = (ms) => Math.round((total / ms) * 1000).toLocaleString('en');
  console.log(
    `${name.padEnd(34)} ${rate(acked).padStart(8)} events/s acknowledged, ${rate(delivered).padStart(8)} events/s on the other node`,
  );
}

await run('one at a time', 2_000, 1, 1);
await run('64 publishes in flight', 20_000, 64, 1);
await run('batches of 100, 4 in flight', 100_000, 4, 100);

await a.close();
await b.close();
const r = new Redis(url);
let cursor = '0';
do {
  const [c, keys] = await r.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
  cursor = c;
  if (keys.length) await r.unlink(...keys);
} while (cursor !== '0');
r.disconnect();
