import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@tidings/client';
import { afterEach, expect, it } from 'vitest';
import { quietEnv, type RunningHub, startHub, until, waitForState } from './helpers.js';

/**
 * A reverse proxy that forwards the response headers at once but holds the body for `holdMs`
 * (as a buffering proxy does until its buffer fills), then streams it through.
 */
async function bufferingProxy(upstream: string, holdMs: number): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const up = request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        res.flushHeaders();
        ur.pause();
        const t = setTimeout(() => ur.pipe(res), holdMs);
        res.on('close', () => {
          clearTimeout(t);
          ur.destroy();
        });
      },
    );
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let hub: RunningHub | undefined;
let proxy: Server | undefined;
const clients: { disconnect(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  proxy?.closeAllConnections();
  proxy?.close();
  await hub?.close();
});

const WARNING =
  /^warn The first event arrived \d+ ms after the response headers, .*buffers the stream.*deployment\.md#nginx\.$/;

it('warns in debug mode when the first event comes long after the headers (a buffering proxy)', async () => {
  hub = await startHub();
  const p = await bufferingProxy(hub.url, 3000);
  proxy = p.server;
  const env = quietEnv();
  const c = createClient({ url: `${p.url}/events`, topics: ['b'], debug: true, environment: env });
  clients.push(c);
  c.connect();
  await waitForState(c, (s) => s.status === 'connected' && s.connectionId !== null, 20_000);
  await until(
    () => env.logger.lines.some((l) => WARNING.test(l)),
    15_000,
    () => env.logger.lines.join('\n'),
  );
});

it('stays quiet without debug, and in debug mode when nothing buffers', async () => {
  hub = await startHub();
  const p = await bufferingProxy(hub.url, 3000);
  proxy = p.server;
  const quiet = quietEnv();
  const behind = createClient({ url: `${p.url}/events`, topics: ['b'], environment: quiet });
  const direct = quietEnv();
  const straight = createClient({
    url: `${hub.url}/events`,
    topics: ['b'],
    debug: true,
    environment: direct,
  });
  clients.push(behind, straight);
  behind.connect();
  straight.connect();
  await waitForState(behind, (s) => s.status === 'connected' && s.connectionId !== null, 20_000);
  await waitForState(straight, (s) => s.status === 'connected' && s.connectionId !== null, 20_000);
  expect(quiet.logger.lines).toEqual([]);
  expect(direct.logger.lines).toContain('debug connected');
  expect(direct.logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
});
