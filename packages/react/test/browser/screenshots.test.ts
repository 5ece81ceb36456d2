import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, type Hub, memoryStore } from '@tidings/server';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const msg = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(`\n*** SKIPPING @tidings/react screenshot tests. ${msg}\n`);
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// docs/screenshots/ only under `npm run screenshots`: tests never modify tracked files.
const SHOTS =
  process.env.TIDINGS_UPDATE_SCREENSHOTS === '1'
    ? here('../../../../docs/screenshots')
    : mkdtempSync(join(tmpdir(), 'tidings-react-shots-'));

async function bundle(): Promise<string> {
  const r = await build({
    entryPoints: [here('./demo.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: {
      '@tidings/protocol': here('../../../protocol/src/index.ts'),
      '@tidings/client': here('../../../client/src/index.ts'),
      '@tidings/react/toast': here('../../src/toast/index.ts'),
      '@tidings/react': here('../../src/index.ts'),
    },
    logLevel: 'silent',
  });
  return r.outputFiles[0]?.text ?? '';
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>@tidings/react</title>
<link rel="stylesheet" href="/styles.css"><link rel="stylesheet" href="/demo.css"></head>
<body><div id="root"></div><script type="module" src="/demo.js"></script></body></html>`;

describe.skipIf(!hasChromium)('@tidings/react in Chromium', () => {
  let hub: Hub;
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    const js = await bundle();
    const css = readFileSync(here('../../styles.css'), 'utf8');
    const demoCss = readFileSync(here('./demo.css'), 'utf8');
    hub = createHub({ store: memoryStore() });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/' || path === '/index.html')
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (path === '/demo.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else if (path === '/styles.css') res.writeHead(200, { 'content-type': 'text/css' }).end(css);
      else if (path === '/demo.css') res.writeHead(200, { 'content-type': 'text/css' }).end(demoCss);
      else if (path === '/silent/events')
        return; // never answers: the client stays "connecting"
      else if (path === '/down/events')
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '600' }).end(
          JSON.stringify({
            error: { code: 'unavailable', message: 'The hub is restarting; reconnect in a moment.' },
          }),
        );
      else hub.handleNode(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Playwright gives every launch a fresh temporary profile.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  async function open(
    part: string,
    colorScheme: 'light' | 'dark' = 'light',
    device: { hasTouch?: boolean; isMobile?: boolean; width?: number } = {},
  ): Promise<Page> {
    const page = await browser.newPage({
      viewport: { width: device.width ?? 1280, height: 900 },
      deviceScaleFactor: 2,
      colorScheme,
      hasTouch: device.hasTouch ?? false,
      isMobile: device.isMobile ?? false,
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/?part=${part}`);
    await page.waitForFunction(() => document.querySelector('#root')?.childElementCount);
    expect(errors).toEqual([]);
    return page;
  }

  const publish = (type: string, data: unknown, topic = 'leases') => hub.publish({ topic, type, data });

  it('status badges: each state, light and dark, with the tooltip open', async () => {
    const page = await open('badges');
    const labels = async (theme: string) =>
      page.locator(`#badges-${theme} [role="status"]`).allTextContents();
    await expect
      .poll(() => labels('light'), { timeout: 10_000 })
      .toEqual(['Live', 'Connecting…', 'Reconnecting (attempt 1)…', 'Disconnected']);
    await publish('lease-added', { ip: '10.0.9.9', mac: '00:00:00:00:00:01', host: 'x', pool: 'office' });
    await page.locator('#badges-dark .tidings-status__main').nth(0).focus();
    await page.locator('#badges-light .tidings-status__main').nth(2).hover();
    await page.waitForSelector('#badges-light [role="tooltip"]:not([hidden])');
    await page.waitForSelector('#badges-dark [role="tooltip"]:not([hidden])');
    const tip = await page.locator('#badges-light [role="tooltip"]:not([hidden])').textContent();
    expect(tip).toContain('The hub answered 503');
    await page.locator('main').screenshot({ path: join(SHOTS, 'react-status.png'), animations: 'disabled' });
    await page.close();
  });

  it('status badge: a click, a tap or Enter opens the details; again, Escape or elsewhere closes them', async () => {
    const expanded = (page: Page) =>
      page.locator('#badges-light .tidings-status__main').nth(0).getAttribute('aria-expanded');
    const tipVisible = (page: Page) => page.locator('#badges-light [role="tooltip"]').first().isVisible();

    const page = await open('badges');
    const badge = page.locator('#badges-light .tidings-status__main').nth(0);
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('Live');
    const controls = await badge.getAttribute('aria-controls');
    expect(await page.locator(`[id="${controls}"]`).getAttribute('role')).toBe('tooltip');
    await badge.click();
    expect(await expanded(page)).toBe('true');
    expect(await tipVisible(page)).toBe(true);
    await page.mouse.move(5, 5); // the click pinned it: leaving does not close it
    expect(await expanded(page)).toBe('true');
    await badge.click();
    expect(await expanded(page)).toBe('false');
    expect(await tipVisible(page)).toBe(false);
    await badge.click();
    expect(await expanded(page)).toBe('true');
    await page.mouse.click(5, 5); // elsewhere
    expect(await expanded(page)).toBe('false');
    // Keyboard: focus shows, Escape hides, Enter and Space toggle.
    await badge.focus();
    expect(await expanded(page)).toBe('true');
    await page.keyboard.press('Escape');
    expect(await expanded(page)).toBe('false');
    await page.keyboard.press('Enter');
    expect(await expanded(page)).toBe('true');
    await page.keyboard.press('Space');
    expect(await expanded(page)).toBe('false');
    await page.close();

    const phone = await open('badges', 'light', { hasTouch: true, isMobile: true, width: 390 });
    const tapped = phone.locator('#badges-light .tidings-status__main').nth(0);
    await expect.poll(() => tapped.textContent(), { timeout: 10_000 }).toBe('Live');
    await tapped.tap();
    expect(await expanded(phone)).toBe('true');
    expect(await tipVisible(phone)).toBe(true);
    const box = await phone.locator('#badges-light [role="tooltip"]').first().boundingBox();
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 390).toBe(true);
    await tapped.tap();
    expect(await expanded(phone)).toBe('false');
    await tapped.tap();
    expect(await expanded(phone)).toBe('true');
    await phone.touchscreen.tap(380, 880); // elsewhere
    await expect.poll(() => expanded(phone)).toBe('false');
    // Wherever a badge sits, its details stay on a 390 px screen: flush right as in a header too.
    await phone.evaluate(() => {
      const row = document.querySelector<HTMLElement>('#badges-light');
      if (row) row.style.justifyContent = 'flex-end';
    });
    const badges = phone.locator('#badges-light .tidings-status__main');
    for (let i = 0; i < (await badges.count()); i++) {
      await badges.nth(i).tap();
      const shown = await phone.locator('#badges-light [role="tooltip"]:not([hidden])').boundingBox();
      expect({ badge: i, left: shown && shown.x >= 0, right: shown && shown.x + shown.width <= 390 }).toEqual(
        {
          badge: i,
          left: true,
          right: true,
        },
      );
      await badges.nth(i).tap();
    }
    await phone.close();
  });

  it('full panel: controls, error details and recent events, light and dark', async () => {
    const page = await open('panels');
    await page.waitForFunction(() => document.querySelectorAll('[role="alert"]').length === 2);
    for (const [type, data] of [
      ['lease-added', { ip: '10.0.1.42' }],
      ['lease-updated', { ip: '10.0.0.12' }],
      ['alert.raised', { severity: 'warning', message: 'Pool office is 91% full' }],
      ['lease-removed', { ip: '10.0.2.7' }],
    ] as const) {
      await publish(type, data, type.startsWith('alert') ? 'alerts' : 'leases');
    }
    await page.waitForFunction(() => document.querySelectorAll('#panels-light li').length === 4);
    expect(await page.locator('#panels-light [role="status"]').allTextContents()).toEqual([
      'Live',
      'Reconnecting (attempt 1)…',
    ]);
    await page.locator('main').screenshot({ path: join(SHOTS, 'react-panel.png'), animations: 'disabled' });
    await page.close();
  });

  it('dashboard: row flashes (added green, updated blue, removed red fading in place) and toasts', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open('dashboard', scheme);
      await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Live');
      await publish('lease-added', {
        ip: '10.0.1.43',
        mac: '8c:85:90:aa:01:43',
        host: 'new-laptop',
        pool: 'office',
      });
      await publish('lease-updated', {
        ip: '10.0.1.40',
        mac: 'a4:83:e7:2c:19:40',
        host: 'maria-mbp-2',
        pool: 'office',
      });
      await publish('lease-removed', { ip: '10.0.2.7' });
      await publish('build_complete', { name: 'web-app #1842' }, 'alerts');
      await publish('workload_status_update', { name: 'api-gateway' }, 'alerts');
      for (let i = 0; i < 4; i++)
        await publish('alert.raised', { severity: 'warning', message: 'Pool office is 91% full' }, 'alerts');
      await publish('build_failed', { name: 'docs #977', reason: 'Link check: 3 broken links.' }, 'alerts');
      await page.waitForFunction(() => document.querySelectorAll('[data-sonner-toast]').length === 4);
      await page.waitForFunction(() => document.querySelector('.tidings-toast__count')?.textContent === '×4');
      const flashes = await page
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-flash')));
      expect(flashes).toEqual([null, null, 'updated', null, 'removed', 'added']);
      // Freeze the flash animations a third of the way in, so the picture shows them.
      await page.evaluate(() => {
        for (const a of document.getAnimations()) {
          a.pause();
          a.currentTime = 450;
        }
      });
      await page.waitForTimeout(400); // let sonner's own entrance settle before the picture
      await page.screenshot({
        path: join(SHOTS, `react-dashboard${scheme === 'dark' ? '-dark' : ''}.png`),
        clip: { x: 0, y: 0, width: 1280, height: 500 },
      });
      await page.close();
    }
  });

  it('reduced motion: flashes are a static tint, nothing animates', async () => {
    const page = await open('dashboard');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.waitForFunction(() => document.querySelector('[role="status"]')?.textContent === 'Live');
    await publish('lease-added', {
      ip: '10.0.1.44',
      mac: '8c:85:90:aa:01:44',
      host: 'tablet',
      pool: 'office',
    });
    await page.waitForSelector('tr[data-flash="added"]');
    const cell = page.locator('tr[data-flash="added"] > td').first();
    expect(await cell.evaluate((td) => getComputedStyle(td).animationName)).toBe('none');
    expect(await cell.evaluate((td) => getComputedStyle(td).backgroundColor)).not.toBe('rgba(0, 0, 0, 0)');
    await page.close();
  });
});
