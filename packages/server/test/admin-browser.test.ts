import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminHandle, type Authorizer, installAdmin, installMetrics } from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-test-admin-token';
// docs/screenshots/ only under `npm run screenshots`: tests never modify tracked files.
const SCREENSHOT =
  process.env.TIDINGS_UPDATE_SCREENSHOTS === '1'
    ? join(dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots/admin.png')
    : join(mkdtempSync(join(tmpdir(), 'tidings-admin-shots-')), 'admin.png');

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const msg = `\n*** ${CHROMIUM} is missing: the /admin browser test is SKIPPED (apt-get install chromium). ***\n`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(msg);
}

/**
 * The page's globals, for functions that run in the browser. The test type check has no DOM lib
 * (the packages must not use browser globals), and the page's CSP forbids evaluating strings.
 */
interface PageGlobals {
  document: {
    querySelector(
      sel: string,
    ): { textContent: string | null; getAttribute(name: string): string | null } | null;
    querySelectorAll(sel: string): { length: number };
  };
  getComputedStyle(el: unknown): { opacity: string };
}
// Spelled out in each browser function: playwright sends the function's source, not its closure.
type G = PageGlobals;

const byHeader: Authorizer = {
  async authorizeSubscribe(req) {
    return { principal: { user: req.header('x-user') } };
  },
  async authorizePublish() {
    return {};
  },
};

describe.skipIf(!haveChromium)('the /admin page in Chromium', () => {
  let h: RunningHub;
  let admin: AdminHandle;
  let browser: BrowserContext;
  let profile: string;
  const readers: StreamReader[] = [];

  beforeAll(async () => {
    h = await startHub({ authorizer: byHeader, maxBufferBytes: 128 * 1024, nodeId: 'eu-1' });
    installMetrics(h.hub);
    admin = installAdmin(h.hub, { token: TOKEN, intervalMs: 250 });
    profile = mkdtempSync(join(tmpdir(), 'tidings-chromium-'));
    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1440, height: 900 },
      colorScheme: 'dark',
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
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    admin?.stop();
    await Promise.all(readers.map((r) => r.close()));
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const TYPES = ['order-created', 'order-paid', 'lease-added', 'message', 'job-progress'];
  const TOPICS = ['orders/eu/1042', 'orders/us/77', 'tenant/acme/leases', 'chat/room-1', 'jobs/import-9'];
  let published = 0;

  /** One burst of events; `wave` shapes the chart so it is not a flat line. */
  async function burst(wave: number): Promise<void> {
    const n = 3 + Math.round(12 * (1 + Math.sin(wave / 2.2)) + (wave % 4 === 0 ? 10 : 0));
    await h.hub.publish(
      Array.from({ length: n }, (_, i) => {
        const k = (wave * 7 + i * 3) % 10 < 5 ? (wave + i) % 2 : (wave + i) % 5;
        return {
          topic: TOPICS[k] as string,
          type: TYPES[k] as string,
          data: { seq: published + i, amount: (published + i) * 3.5, customer: `c-${(published + i) % 97}` },
        };
      }),
    );
    published += n;
  }

  async function text(page: Page, sel: string): Promise<string> {
    return (await page.locator(sel).textContent())?.trim() ?? '';
  }

  /** Waits until the element's text is (or matches) `want`. */
  async function shows(page: Page, sel: string, want: string | RegExp): Promise<void> {
    const re = want instanceof RegExp ? want : new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    await page.waitForFunction(
      ([q, src, flags]) =>
        new RegExp(src, flags).test(
          (globalThis as unknown as G).document.querySelector(q)?.textContent ?? '',
        ),
      [sel, re.source, re.flags] as const,
    );
  }

  it('shows live numbers, disconnects a connection, and looks like a product', async () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];
    const subs: Array<[string, string[]]> = [
      ['alice', ['orders/**']],
      ['bob', ['orders/eu/*', 'chat/room-1']],
      ['carol', ['tenant/acme/**']],
      ['dave', ['chat/room-1']],
      ['erin', ['jobs/**']],
      ['frank', ['orders/**', 'jobs/**']],
      ['grace', ['**']],
    ];
    for (const [user, topics] of subs) {
      const r = await StreamReader.open(h.url, topics, { headers: { 'x-user': user } });
      readers.push(r);
      await r.waitFor((x) => x.of('connected').length > 0);
    }
    expect(h.hub.connections()).toHaveLength(users.length);

    // A subscriber that never reads, dropped as a slow consumer once its queue passes the limit.
    const port = Number(new URL(h.url).port);
    const stalled = connect(port, '127.0.0.1');
    stalled.write('GET /events?topic=exports/bulk HTTP/1.1\r\nHost: hub\r\nx-user: mallory\r\n\r\n');
    stalled.pause();
    await until(() => h.hub.connections().length === users.length + 1);
    for (let i = 0; i < 400 && h.hub.connections().length > users.length; i++) {
      await h.hub.publish({
        topic: 'exports/bulk',
        type: 'export-chunk',
        data: { i, rows: 'r'.repeat(30_000) },
      });
      published++;
      await new Promise((r) => setImmediate(r));
    }
    stalled.destroy();
    expect(h.hub.connections()).toHaveLength(users.length);
    // A few refused requests for the "refused" panel.
    await post(h.url, { topic: 'bad topic', type: 'x', data: 1 });
    await post(h.url, { topic: '$sys/stats', type: 'x', data: 1 });
    await fetch(new URL(`/events?topic=${encodeURIComponent('$sys/stats')}`, h.url));

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });

    let wave = 0;
    for (; wave < 8; wave++) {
      await burst(wave);
      await new Promise((r) => setTimeout(r, 120));
    }
    const res = await page.goto(`${h.url}/admin?token=${TOKEN}`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${h.url}/admin`);

    // The EventSource on $sys/stats is up, and the numbers are the hub's.
    await shows(page, '#status-text', 'live');
    await shows(page, '[data-testid=connections]', String(users.length));
    // Its own $sys stream is counted apart.
    await shows(page, '#kpi-connections-sub', /^\+1 admin · /);
    // About ten seconds of traffic, so the per-second chart has a shape.
    for (; wave < 70; wave++) {
      await burst(wave);
      await new Promise((r) => setTimeout(r, 140));
    }
    // Live: the page catches up with every event published, through $sys/stats pushes only.
    await page.waitForFunction(
      (n) =>
        (globalThis as unknown as G).document
          .querySelector('[data-testid=published-rate]')
          ?.getAttribute('data-total') === String(n),
      published,
    );
    expect(Number(await text(page, '[data-testid=published-rate]'))).toBeGreaterThan(0);
    const chartPaths = await page.locator('#chart svg path').count();
    expect(chartPaths).toBe(4);
    expect(await page.locator('#types .bar').count()).toBeGreaterThanOrEqual(5);
    const typeNames = await page.locator('#types .bar .name').allTextContents();
    expect(typeNames).toEqual(expect.arrayContaining(TYPES));
    expect(await page.locator('#slow tbody tr').count()).toBe(1);
    expect(await text(page, '#slow tbody tr')).toContain('mallory');
    expect(await page.locator('#recent details').count()).toBeGreaterThan(5);
    expect(await page.locator('#recent details[open]').count()).toBe(0);

    // Disconnect bob's connection from the page.
    const bob = h.hub.connections().find((c) => c.user === 'bob');
    expect(bob).toBeDefined();
    await page.locator(`tr[data-conn="${bob?.id}"] button[data-action=conn]`).click();
    await until(() => !h.hub.connections().some((c) => c.id === bob?.id));
    await shows(page, '[data-testid=connections]', String(users.length - 1));
    await shows(page, '#toast', 'Disconnected 1 connection');
    expect(await page.locator(`tr[data-conn="${bob?.id}"]`).count()).toBe(0);

    // Payloads are collapsed until asked for; an opened one stays open across live updates.
    await page.locator('#recent details summary').first().click();
    const renders = Number(await page.locator('body').getAttribute('data-renders'));
    await page.waitForFunction(
      (n) =>
        Number((globalThis as unknown as G).document.querySelector('body')?.getAttribute('data-renders')) >
          n && (globalThis as unknown as G).document.querySelectorAll('#recent details[open]').length === 1,
      renders,
    );
    expect(await text(page, '#recent details[open] pre')).toMatch(/"customer": "c-\d+"/);

    await page.waitForFunction(
      () =>
        (globalThis as unknown as G).getComputedStyle(
          (globalThis as unknown as G).document.querySelector('#toast'),
        ).opacity === '0',
    );
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
