import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createHub, createHubServer, type Hub, memoryStore } from '@tidings/server';
import { tidingsNode } from '@tidings/server/node';
import { build } from 'esbuild';

/** A running example. */
export interface Running {
  readonly url: string;
  readonly hub: Hub;
  close(): Promise<void>;
}

/**
 * The client's browser bundle: one ES module, minified. Built once at startup here; a real
 * deployment builds it once and serves it as a static file (or from a CDN).
 */
export async function clientModule(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@tidings/client');
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}

/** Serves `public/index.html`, the client module and the hub under `/live`. */
export async function start(port = 0, host = '127.0.0.1'): Promise<Running> {
  // From the sources (tests) or from dist/ (npm start).
  const here = new URL('public/index.html', import.meta.url);
  const page = readFileSync(existsSync(here) ? here : new URL('../public/index.html', import.meta.url));
  const js = await clientModule();
  const hub = createHub({ basePath: '/live', store: memoryStore() });
  const server = createHubServer(
    tidingsNode(hub, (req, res) => {
      if (req.url === '/tidings-client.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(js);
      } else if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      }
    }),
  );
  server.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    hub,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
