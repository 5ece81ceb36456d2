import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: RunningHub | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Opens a stream on a raw socket, waits for the connected frame, then drops the socket. */
function cycle(port: number, topic: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('event: connected')) s.destroy();
    });
    s.on('close', () =>
      buf.includes('event: connected')
        ? resolve()
        : reject(new Error(`no connected frame: ${buf.slice(0, 200)}`)),
    );
    s.on('error', reject);
    s.write(`GET /events?topic=${topic} HTTP/1.1\r\nHost: hub\r\n\r\n`);
  });
}

async function cycles(port: number, n: number, concurrency = 50): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await cycle(port, i % 3 === 0 ? `t/${i % 100}/**` : `t/${i % 100}`);
      }
    }),
  );
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('connection lifecycle', () => {
  it('leaves no connection, index entry, timer or heap growth after 10,000 connect/disconnect cycles', async () => {
    h = await startHub();
    const port = Number(new URL(h.url).port);
    await cycles(port, 1000);
    await until(() => h?.hub.connections().length === 0);
    const handlesBefore = process.getActiveResourcesInfo().length;
    const before = heapAfterGc();
    await cycles(port, 10_000);
    await until(() => h?.hub.connections().length === 0, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    const after = heapAfterGc();
    // The registry's topic index (every transport's connections are indexed there).
    const index = (
      h.hub as unknown as { registry: { index: { exactTopicCount: number; wildcardCount: number } } }
    ).registry.index;
    expect(index.exactTopicCount).toBe(0);
    expect(index.wildcardCount).toBe(0);
    // A leak of even 400 bytes per connection would add 4 MB here.
    expect(after - before).toBeLessThan(4 * 1024 * 1024);
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(handlesBefore + 2);
  }, 120_000);

  it('shuts down gracefully: streams end cleanly, new work is refused with 503', async () => {
    h = await startHub();
    const r = await StreamReader.open(h.url, ['a']);
    await until(() => h?.hub.connections().length === 1);
    await h.hub.close();
    await r.waitFor((x) => x.ended);
    expect(r.error).toBeUndefined();
    const again = await fetch(`${h.url}/events?topic=a`);
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toBe('1');
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'shutting-down' });
    await expect(h.hub.publish({ topic: 'a', type: 't', data: 1 })).rejects.toThrow(/shutting down/);
  });
});
