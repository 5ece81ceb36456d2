/**
 * Screenshots of every page, light, dark and at 390 px, for the README, with the simulators
 * running, so the pages show live data, flashes and toasts as a newcomer sees them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRig, hasChromium, SCREENSHOTS, startDemo } from './demo-harness.js';

/** Each page: its path, the screenshot's name, and what shows it has loaded. */
const PAGES = [
  ['/leases', 'leases', 'tr[data-ip]'],
  ['/workloads', 'workloads', '[data-testid="workloads"] tbody tr'],
  ['/operations', 'operations', '[data-testid="job"]'],
  ['/collaboration', 'collaboration', '[data-testid="list-actions"]'],
  ['/sse-test', 'console', 'main h1'],
] as const;

describe.skipIf(!hasChromium)('demo screenshots', () => {
  let rig: DemoRig;
  beforeAll(async () => {
    rig = await startDemo({ simulate: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 90_000);
  afterAll(async () => {
    await rig?.close();
  });

  const shoot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `demo-${name}.png`) });

  it('shoots the sign-in screen and every page, and the theme toggle switches to dark', async () => {
    // The sign-in screen in a context of its own: a signed-in context shares its session cookie
    // with every tab, so /login there goes straight to the app.
    const signedOut = await rig.openSignedOut('/login');
    await signedOut.page.waitForSelector('[data-user="carol"]');
    await shoot(signedOut.page, 'login');
    await signedOut.context.close();
    const { context, page } = await rig.openAs('alice', '/leases');

    await page.waitForSelector('tr[data-ip]');
    // Simulated traffic for a few seconds, then a lease of our own so a row is flashing.
    await page.waitForTimeout(4000);
    const lease = await rig.call<{ ip: string }>('alice', 'POST', '/api/leases', {
      pool: 'guest',
      hostname: 'reception-printer',
    });
    const row = page.locator(`tr[data-ip="${lease.body.ip}"][data-flash="added"]`);
    await row.waitFor();
    // The page scrolls the table's own box to the new row (look.e2e.test.ts checks it).
    await page.waitForTimeout(300);
    await shoot(page, 'leases');

    await page.click('nav a[href="/workloads"]');
    await page.waitForSelector('[data-testid="workloads"]');
    await rig.call('alice', 'POST', '/api/builds', { workloadId: 'checkout-checkout-api' });
    // A build result: its toast, and the builds list refetched.
    await page.waitForSelector('[data-sonner-toast]', { timeout: 30_000 });
    await page.waitForTimeout(1000);
    await shoot(page, 'workloads');

    await page.click('nav a[href="/operations"]');
    await page.waitForSelector('[data-testid="job"]');
    // An alert's toast, raised or cleared (not one left over from the Workloads page): the
    // simulated network has an incident every 75 s or so.
    await page.waitForSelector('[data-sonner-toast]:has-text("ONU-")', { timeout: 240_000 });
    await page.waitForTimeout(800); // the toast's entrance
    await shoot(page, 'operations');

    await page.click('nav a[href="/collaboration"]');
    await page.waitForSelector('[data-testid="list-actions"]');
    await rig.call('bob', 'POST', '/api/coaching/cs-1/actions', { body: 'Shadow the next on-call shift' });
    await page.waitForSelector('[data-testid="activity"] li', { timeout: 10_000 });
    await page.waitForSelector('[data-testid="list-actions"] >> text=Shadow the next on-call shift', {
      timeout: 10_000,
    });
    await shoot(page, 'collaboration');

    await page.click('nav a[href="/sse-test"]');
    for (const [type, data] of [
      ['system_notification', { title: 'Maintenance tonight', severity: 'info' }],
      ['sync_progress', { job: 'nightly-sync', pct: 42 }],
    ] as const) {
      await rig.call('carol', 'POST', '/api/console', { type, data });
    }
    await page.waitForSelector('[data-testid="console-history"] li[data-type="sync_progress"]');
    await shoot(page, 'console');

    // The toggle cycles Auto → Dark → Light → Auto and sets data-theme on <html>.
    await page.click('.theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await page.click('.theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await page.click('.theme-toggle');
    expect(await page.getAttribute('html', 'data-theme')).toBeNull();
    await context.close();

    // Every page dark (the system's preference) and at 390 px (light and dark).
    for (const [scheme, width, suffix] of [
      ['dark', 1280, 'dark'],
      ['light', 390, 'mobile'],
      ['dark', 390, 'mobile-dark'],
    ] as const) {
      const other = await rig.openAs('carol', '/leases', { colorScheme: scheme });
      if (width !== 1280) await other.page.setViewportSize({ width, height: 844 });
      for (const [path, name, ready] of PAGES) {
        await other.page.click(`nav a[href="${path}"]`);
        await other.page.waitForSelector(ready);
        if (path === '/operations') {
          await other.page.waitForSelector('[data-testid="onus"]');
        }
        await other.page.evaluate(() => window.scrollTo(0, 0));
        await other.page.waitForTimeout(1200);
        await shoot(other.page, `${name}-${suffix}`);
      }
      await other.context.close();
    }
  }, 900_000);

  it('logged no console errors or page errors', () => {
    expect(rig.errors).toEqual([]);
  });
});
