/**
 * The demo's backend: the REST API, the simulators, the outbox pump that publishes to the hub,
 * and the built frontend (a single-page app: unknown paths get index.html).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { openDb } from './app-db.js';
import { handleApi } from './demo-api.js';
import { ApiAnswer, ApiError, sendJson } from './http-util.js';
import { listen } from './listen.js';
import { OutboxPump } from './outbox-pump.js';
import { seed } from './seed-data.js';
import { startSimulators } from './simulators.js';

export interface DemoBackendOptions {
  port: number;
  host?: string | undefined;
  dataDir: string;
  secret: Uint8Array;
  publisherKey: string;
  /** The hub's base URL, as browsers and the backend reach it. */
  hubUrl: string;
  /** The built frontend (index.html and assets); without it the API alone is served. */
  webDir?: string | undefined;
  /** Run the simulators. @defaultValue true */
  simulate?: boolean | undefined;
  log?: (message: string) => void;
}

export interface DemoBackend {
  server: Server;
  url: string;
  pump: OutboxPump;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export async function startDemoBackend(o: DemoBackendOptions): Promise<DemoBackend> {
  const log = o.log ?? ((m: string) => console.log(m));
  const db = openDb(join(o.dataDir, 'app.db'));
  seed(db);
  const pump = new OutboxPump(db, o.hubUrl, o.publisherKey, log);
  const published = () => pump.kick();
  const ctx = {
    db,
    secret: o.secret,
    hubUrl: o.hubUrl,
    publisherKey: o.publisherKey,
    published,
    health: () => {
      const h = pump.health();
      return { ok: h.state === 'ok', ...h };
    },
  };
  const stopSimulators = o.simulate === false ? () => {} : startSimulators(db, published);
  // Events queued before a restart go out now.
  pump.kick();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo.local');
    if (url.pathname.startsWith('/api/')) {
      handleApi(ctx, req, url).then(
        (body) => {
          const status = req.method === 'POST' && !url.pathname.match(/login|token|force-logout/) ? 201 : 200;
          if (body instanceof ApiAnswer) sendJson(res, body.o.status ?? status, body.body, body.o.cookies);
          else sendJson(res, status, body);
        },
        (e: unknown) => {
          if (e instanceof ApiError) sendJson(res, e.status, { error: e.code, message: e.message });
          else {
            log(`Internal error on ${req.method} ${url.pathname}: ${(e as Error).stack ?? String(e)}`);
            sendJson(res, 500, { error: 'internal', message: 'The demo backend failed; see its log.' });
          }
        },
      );
      return;
    }
    serveStatic(o.webDir, url.pathname, res);
  });
  const url = await listen(server, o.port, o.host ?? '127.0.0.1');
  return {
    server,
    url,
    pump,
    async close() {
      stopSimulators();
      pump.close();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      db.close();
    },
  };
}

function serveStatic(
  webDir: string | undefined,
  pathname: string,
  res: import('node:http').ServerResponse,
): void {
  if (!webDir || !existsSync(join(webDir, 'index.html'))) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The frontend is not built; run npm start (or npm run build -w @tidings/demo) first.\n');
    return;
  }
  const safe = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
  let file = join(webDir, safe);
  const isAsset = extname(safe) !== '';
  if (!file.startsWith(webDir) || !isAsset || !existsSync(file) || !statSync(file).isFile()) {
    if (isAsset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`There is no ${pathname}.\n`);
      return;
    }
    file = join(webDir, 'index.html');
  }
  const hashed = safe.startsWith('/assets/');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(readFileSync(file));
}
