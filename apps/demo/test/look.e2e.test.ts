/**
 * The demo's look in Chromium (issue 19, "the demo as a product screenshot"): no sideways scroll
 * at 390 px, a new lease seen where it lands, cards and tables that agree and line up, words
 * instead of wire names. The simulators are off, so every change is the test's own.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRig, hasChromium, startDemo } from './demo-harness.js';

async function until(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting until ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PAGES = [
  ['/leases', '[data-testid="leases"]'],
  ['/workloads', '[data-testid="workloads"]'],
  ['/operations', '[data-testid="job"]'],
  ['/collaboration', '[data-testid="list-actions"]'],
  ['/sse-test', '[data-testid="console-history"], .empty'],
] as const;

const box = async (page: Page, selector: string) => {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`${selector} is not on the page.`);
  return b;
};

describe.skipIf(!hasChromium)('the demo’s look', () => {
  let rig: DemoRig;
  beforeAll(async () => {
    rig = await startDemo();
  }, 90_000);
  afterAll(async () => {
    await rig?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`at 390 px (${scheme}): no page scrolls sideways, every tab is reachable, the user name stays on one line`, async () => {
      const { context, page } = await rig.openAs('alice', '/leases', { colorScheme: scheme });
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [path, ready] of PAGES) {
        const link = page.locator(`nav a[href="${path}"]`);
        // Playwright scrolls the tab row to the link, as a finger would: it must be clickable.
        await link.click();
        await page.waitForSelector(ready);
        await page.waitForTimeout(300);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, `${path} at 390 px`).toBeLessThanOrEqual(390);
        expect(await link.getAttribute('aria-current')).toBe('page');
        // The account (avatar, name for screen readers, Sign out) is one row inside the window.
        const user = await box(page, '.nav .user');
        expect(user.height, 'the account block is one line').toBeLessThanOrEqual(36);
        expect(user.x + user.width).toBeLessThanOrEqual(390);
        expect(await page.$eval('.user__name', (e) => getComputedStyle(e).whiteSpace)).toBe('nowrap');
      }
      // The tab row scrolls on its own, inside the window.
      expect(await page.$eval('.nav nav', (n) => getComputedStyle(n).overflowX)).toBe('auto');
      const nav = await box(page, '.nav nav');
      expect(nav.x).toBeGreaterThanOrEqual(0);
      expect(nav.x + nav.width).toBeLessThanOrEqual(390);
      await context.close();
    });
  }

  it('at 1280 px the user name is shown on one line', async () => {
    const { context, page } = await rig.openAs('bob', '/leases');
    const name = await box(page, '.user__name');
    expect(await page.textContent('.user__name')).toBe('Bob Chen');
    expect(name.height).toBeLessThan(24);
    expect(name.width).toBeGreaterThan(30);
    await context.close();
  });

  it('leases: a new lease at the end of the last pool is scrolled into view; cards and table share the pool order; columns keep their widths', async () => {
    const { context, page } = await rig.openAs('carol', '/leases');
    await page.waitForSelector('tr[data-ip]');
    const cardOrder = await page.$$eval('[data-pool]', (els) => els.map((e) => e.getAttribute('data-pool')));
    expect(cardOrder).toEqual(['office', 'guest', 'iot']);
    const tableOrder = async () =>
      page.$$eval('[data-testid="leases"] tbody tr td:nth-child(4)', (tds) => [
        ...new Set(tds.map((td) => td.textContent)),
      ]);
    expect(await tableOrder()).toEqual(cardOrder);
    const widths = () =>
      page.$$eval('[data-testid="leases"] thead th', (ths) =>
        ths.map((th) => th.getBoundingClientRect().width),
      );
    const before = await widths();

    const added = await rig.call<{ ip: string }>('alice', 'POST', '/api/leases', {
      pool: 'iot',
      ip: '10.0.3.25',
      hostname: 'a-very-long-hostname-for-the-warehouse-temperature-sensor',
    });
    expect(added.status).toBe(201);
    const row = page.locator('tr[data-ip="10.0.3.25"]');
    await row.waitFor();
    await until('the new row is inside the table’s visible box and the window', async () => {
      const r = await row.boundingBox();
      const w = await box(page, '[data-testid="leases-wrap"]');
      return r !== null && r.y >= w.y && r.y + r.height <= w.y + w.height + 1 && r.y + r.height <= 860;
    });
    // The page itself did not move: only the table's own box scrolled.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await widths()).toEqual(before);
    // The refetch (server order) keeps the cards' order too.
    await page.waitForTimeout(1500);
    expect(await tableOrder()).toEqual(cardOrder);
    await context.close();
  });

  it('workloads: the feed says what happened in words; clusters have one name in table and cards', async () => {
    const { context, page } = await rig.openAs('carol', '/workloads');
    await page.waitForSelector('[data-testid="workloads"] tbody tr');
    const cards = await page.$$eval('.stat[data-cluster] .stat__value', (els) =>
      els.map((e) => e.textContent),
    );
    expect(cards.sort()).toEqual(['eu-west-1', 'us-east-1']);
    const cells = await page.$$eval('[data-testid="workloads"] td[data-cluster]', (tds) => [
      ...new Set(tds.map((td) => td.textContent)),
    ]);
    expect(cells.sort()).toEqual(['eu-west-1', 'us-east-1']);

    expect((await rig.call('alice', 'POST', '/api/builds', { workloadId: 'search-indexer' })).status).toBe(
      201,
    );
    const item = page.locator('[data-testid="workload-feed"] li[data-type="build_started"]');
    await item.waitFor();
    expect(await item.locator('.feed__type').textContent()).toBe('Build started');
    expect(await item.locator('.feed__text').textContent()).toMatch(/^indexer · [0-9a-f]{7}$/);
    await context.close();
  });

  it('operations: both rows share their columns and heights; "via WebSocket" only while connected; empty states have a sentence', async () => {
    const c = await rig.openAs('carol', '/operations');
    const { page } = c;
    await page.waitForSelector('[data-testid="job"]');
    await page.waitForSelector('[data-testid="onus"]');
    const cards = await page.$$eval('[data-testid="ops-grid"] > .card', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.width), h: Math.round(r.height) };
      }),
    );
    expect(cards).toHaveLength(4);
    const [job, alerts, onus, radius] = cards as [
      (typeof cards)[0],
      (typeof cards)[0],
      (typeof cards)[0],
      (typeof cards)[0],
    ];
    expect(onus.x).toBe(job.x);
    expect(onus.w).toBe(job.w);
    expect(radius.x).toBe(alerts.x);
    expect(radius.w).toBe(alerts.w);
    expect(alerts.y).toBe(job.y);
    expect(alerts.h).toBe(job.h);
    expect(radius.y).toBe(onus.y);
    expect(radius.h).toBe(onus.h);

    // No alert yet (simulators off): the empty state is an icon, a title and a sentence.
    const empty = page.locator('.card:has(h2:text("Recent alerts")) .empty');
    expect(await empty.locator('svg.empty__icon').count()).toBe(1);
    expect(await empty.locator('strong').textContent()).toBe('No alerts');
    expect(await empty.locator('p').textContent()).toMatch(/^[A-Z].+\.$/);
    expect(await page.$$eval('.empty', (els) => els.filter((e) => e.textContent?.includes('○')).length)).toBe(
      0,
    );

    const transport = page.locator('[data-testid="job-transport"]');
    await until('the label says WebSocket', async () => (await transport.textContent()) === 'via WebSocket');
    rig.expectNetworkErrors = true;
    try {
      await c.context.setOffline(true);
      await until('the label leaves WebSocket', async () => (await transport.textContent()) === 'offline');
      await c.context.setOffline(false);
      // Back online, with the transport the client reconnected over (auto may settle on SSE
      // after WebSocket attempts failed).
      await until(
        'the label names a transport again',
        async () => /^via (WebSocket|HTTP)$/.test((await transport.textContent()) ?? ''),
        60_000,
      );
      expect(await page.getAttribute('.nav .tidings-status', 'data-tone')).toBe('live');
    } finally {
      rig.expectNetworkErrors = false;
    }
    await c.context.close();
  });

  it('collaboration: "Won’t do", the action’s text in the activity, a colour per user, cards of equal height', async () => {
    const a = await rig.openAs('alice', '/collaboration');
    const { page } = a;
    await page.waitForSelector('[data-testid="list-actions"]');
    const text = `Book the design review ${Date.now()}`;
    const created = await rig.call<{ id: number }>('bob', 'POST', '/api/coaching/cs-1/actions', {
      body: text,
    });
    expect(created.status).toBe(201);
    const item = page.locator('[data-testid="list-actions"] .item', { hasText: text });
    await item.waitFor();
    expect(await item.locator('option[value="wont_do"]').textContent()).toBe('Won’t do');
    await item.locator('select').selectOption('wont_do');
    const update = page.locator('[data-testid="activity"] li[data-type="action_updated"]').first();
    await update.waitFor();
    expect(await update.locator('.list__main').textContent()).toBe(`Alice updated the action “${text}”`);
    const added = page.locator('[data-testid="activity"] li[data-type="action_created"]').first();
    expect(await added.locator('.list__main').textContent()).toBe(`Bob added the action “${text}”`);

    const colour = (row: typeof update) =>
      row.locator('.avatar').evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await colour(update)).not.toBe(await colour(added));

    const heights = await page.$$eval('.grid--collab > .card', (els) =>
      els.map((e) => Math.round(e.getBoundingClientRect().height)),
    );
    expect(heights).toHaveLength(3);
    expect(new Set(heights).size).toBe(1);
    await a.context.close();
  });

  it('logged no console errors or page errors', () => {
    expect(rig.errors).toEqual([]);
  });
});
