import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, type Hub, type HubOptions, memoryStore } from '@tidings/server';
import { build } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, as `.ci/run` installs it; override with CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a loud message, and
 * fail instead under `TIDINGS_REQUIRE_SERVICES=1` (what CI sets).
 */
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const msg = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(`\n*** SKIPPING browser tests. ${msg}\n`);
}

let bundle: Promise<string> | undefined;

/** The client bundled for the browser as an IIFE exposing `window.Tidings`. */
export function clientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Tidings',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]?.text ?? '');
  return bundle;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>tidings test</title>
<script src="/tidings.js"></script></head><body>tidings</body></html>`;

/**
 * A hub and the test page on one origin (no CORS involved), in front of a fresh Chromium profile.
 */
export interface BrowserRig {
  hub: Hub;
  /** The origin serving the page, `/events` and `/publish`. */
  url: string;
  context: BrowserContext;
  /** Opens a tab on the test page (`query` such as `?job=job-1` appended). */
  openTab(query?: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts the rig. `page` replaces the test page at `/` (it gets the client at `/tidings.js`);
 * WebSocket upgrades reach the hub unless `webSocket` is false.
 */
export async function startRig(
  hubOptions: HubOptions = {},
  o: { page?: string; webSocket?: boolean } = {},
): Promise<BrowserRig> {
  const js = await clientBundle();
  const hub = createHub({ store: memoryStore(), ...hubOptions });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(o.page ?? PAGE);
    } else if (req.url === '/tidings.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(js);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      hub.handleNode(req, res);
    }
  });
  if (o.webSocket !== false) server.on('upgrade', hub.handleUpgrade);
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'tidings-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const blank = context.pages();
  return {
    hub,
    url,
    context,
    async openTab(query = '') {
      // Reuse the window the browser opened with, once.
      const page = blank.shift() ?? (await context.newPage());
      page.on('pageerror', (e) => console.error('page error:', e));
      await page.goto(`${url}/${query}`);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Sets the page's visibility as a browser would when the tab is hidden or shown. Headless
 * Chromium reports every page as visible whatever is done to its window, so the state is
 * overridden on the document and `visibilitychange` dispatched; the client's default
 * environment reads both exactly as it does in a real browser.
 */
export async function setVisibility(page: Page, visible: boolean): Promise<void> {
  await page.evaluate((v) => {
    const state = v ? 'visible' : 'hidden';
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !v });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
}
