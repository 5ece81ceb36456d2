/**
 * Runs the demo as the e2e tests need it: hub and backend as separate processes on one data
 * directory (so the hub can be killed and restarted), in front of Debian's Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const msg = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(`\n*** SKIPPING demo e2e tests. ${msg}\n`);
}

const SERVER = fileURLToPath(new URL('../dist/server.mjs', import.meta.url));
/**
 * Where screenshots go: `docs/screenshots/` only under `npm run screenshots`
 * (TIDINGS_UPDATE_SCREENSHOTS=1), else a temporary folder, since tests never modify tracked files.
 */
export const SCREENSHOTS =
  process.env.TIDINGS_UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
    : mkdtempSync(join(tmpdir(), 'tidings-demo-shots-'));

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Starts `node server.mjs <mode>` and resolves once it printed its URL. */
function startProcess(mode: 'hub' | 'backend', args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER, mode, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`The demo ${mode} did not start within 30 s: ${err}`)),
      30_000,
    );
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`"demo":"${mode}"`)) {
        clearTimeout(timer);
        ok(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`The demo ${mode} exited with ${code}: ${err}`));
    });
  });
}

export interface DemoRig {
  url: string;
  /** The data directory hub and backend share. */
  dataDir: string;
  hubUrl: string;
  browser: Browser;
  /** Kills the hub process (SIGKILL: no goodbye to the clients). */
  killHub(): Promise<void>;
  /** Starts the hub again on the same port and data. */
  startHub(): Promise<void>;
  /** A fresh browser context signed in as `user`, on `path`, collecting console errors. */
  openAs(
    user: string,
    path: string,
    o?: { colorScheme?: 'light' | 'dark' },
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  /** A fresh browser context that nobody signed in to (the session cookie is per context), on `path`. */
  openSignedOut(path: string): Promise<{ context: BrowserContext; page: Page }>;
  /** Backend API call as `user` (signs in on first use). */
  call<T = unknown>(
    user: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Every console error and page error seen in any page so far (see {@link DemoRig.expectNetworkErrors}). */
  errors: string[];
  /**
   * While set, the browser's own reports of failed connections (net::ERR_…, a WebSocket that
   * could not connect), which a test causes by going offline or killing the hub, are not errors.
   */
  expectNetworkErrors: boolean;
  /** Opens `path` in another tab of `context`, which is signed in already (the session cookie is shared). */
  openTab(context: BrowserContext, user: string, path: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startDemo(
  o: {
    simulate?: boolean;
    /** Prepares the data directory before hub and backend start (an old version's outbox, say). */
    prepare?: (dataDir: string) => void;
  } = {},
): Promise<DemoRig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-demo-'));
  o.prepare?.(dataDir);
  const port = await freePort();
  const hubPort = await freePort();
  const common = ['--data', dataDir, '--port', String(port), '--hub-port', String(hubPort)];
  let hub: ChildProcess | undefined = await startProcess('hub', common);
  const backend = await startProcess('backend', [...common, ...(o.simulate ? [] : ['--no-simulate'])]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const url = `http://127.0.0.1:${port}`;
  const tokens = new Map<string, string>();
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  const NETWORK = /net::ERR_|WebSocket connection to .* failed|Failed to load resource/;
  const watch = (page: Page, user: string, mine: string[]) => {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (rig.expectNetworkErrors && NETWORK.test(m.text())) return;
      mine.push(m.text());
      errors.push(`${user}: ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      mine.push(e.message);
      errors.push(`${user}: ${e.message}`);
    });
  };
  const signIn = async (page: Page, user: string, path: string) => {
    await page.goto(`${url}/login`);
    await page.click(`[data-user="${user}"]`);
    await page.waitForSelector('.nav');
    if (path !== '/leases') await page.click(`nav a[href="${path}"]`);
    await page.waitForSelector('.nav .tidings-status[data-tone="live"]', { timeout: 30_000 });
  };

  const call = async <T>(user: string, method: string, path: string, body?: unknown) => {
    let token = tokens.get(user);
    if (!token) {
      const r = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
      token = ((await r.json()) as { token: string }).token;
      tokens.set(user, token);
    }
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  const rig: DemoRig = {
    url,
    dataDir,
    expectNetworkErrors: false,
    hubUrl: `http://127.0.0.1:${hubPort}`,
    browser,
    errors,
    call,
    async killHub() {
      const h = hub;
      hub = undefined;
      if (!h || h.exitCode !== null) return;
      const gone = new Promise((ok) => h.once('exit', ok));
      h.kill('SIGKILL');
      await gone;
    },
    async startHub() {
      hub = await startProcess('hub', common);
    },
    async openAs(user, path, o = {}) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        colorScheme: o.colorScheme ?? 'light',
        reducedMotion: 'no-preference',
      });
      contexts.push(context);
      const page = await context.newPage();
      const mine: string[] = [];
      watch(page, user, mine);
      await signIn(page, user, path);
      return { context, page, errors: mine };
    },
    async openSignedOut(path) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        colorScheme: 'light',
        reducedMotion: 'no-preference',
      });
      contexts.push(context);
      const page = await context.newPage();
      watch(page, '(signed out)', []);
      await page.goto(`${url}${path}`);
      return { context, page };
    },
    async openTab(context, user, path) {
      const page = await context.newPage();
      watch(page, user, []);
      // The session is the browser's cookie: a second tab is signed in without a second login.
      await page.goto(`${url}${path}`);
      await page.waitForSelector('.nav .tidings-status[data-tone="live"]', { timeout: 30_000 });
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      backend.kill('SIGTERM');
      hub?.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return rig;
}
