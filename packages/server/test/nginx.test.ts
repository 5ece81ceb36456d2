import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';
import { needNginx, type RunningNginx, startNginx } from './nginx.js';

const nginx = needNginx(import.meta.url);

describe.skipIf(!nginx)('behind a real nginx reverse proxy (proxy_buffering at its default, on)', () => {
  let hub: RunningHub;
  let proxy: RunningNginx;
  let deaf: RunningNginx;
  const readers: StreamReader[] = [];

  beforeAll(async () => {
    hub = await startHub();
    proxy = await startNginx(nginx as string, hub.url);
    deaf = await startNginx(nginx as string, hub.url, { ignoreAccelBuffering: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await proxy?.close();
    await deaf?.close();
    await hub?.close();
  }, 60_000);

  it("delivers each event at once: nginx honours the hub's X-Accel-Buffering: no", async () => {
    const r = await StreamReader.open(proxy.url, ['n']);
    readers.push(r);
    expect(r.response.status).toBe(200);
    await r.waitFor((x) => x.of('connected').length === 1, 15_000);
    for (let i = 0; i < 3; i++) {
      await hub.hub.publish({ topic: 'n', type: 'n', data: { i } });
      await r.waitForEvents(i + 1, 15_000);
    }
  });

  it('holds the stream back when the header is ignored (the failure the header prevents)', async () => {
    let opened: StreamReader | undefined;
    const opening = StreamReader.open(deaf.url, ['d']).then((r) => {
      readers.push(r);
      opened = r;
      return r;
    });
    await until(() => hub.hub.connections().some((c) => c.topics.includes('d')), 15_000);
    await hub.hub.publish({ topic: 'd', type: 'd', data: { small: true } });
    // Only an absence can show buffering; a loaded machine makes it last longer, never shorter.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(opened).toBeUndefined();
    // Enough incompressible bytes to fill gzip's buffer push the held-back part through (the
    // rest of the big one waits for the next fill).
    await hub.hub.publish({ topic: 'd', type: 'd', data: { big: randomBytes(36_000).toString('base64') } });
    const r = await opening;
    const [first] = await r.waitForEvents(1, 15_000);
    expect(first?.data).toEqual({ small: true });
    expect(r.of('connected')).toHaveLength(1);
  });
});
