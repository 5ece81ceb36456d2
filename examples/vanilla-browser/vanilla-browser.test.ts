import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { streamOneEvent } from '../smoke.js';
import { start } from './app.js';

/** Debian's Chromium, as `.ci/run` installs it; override with CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  const msg = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(`\n*** SKIPPING the vanilla-browser example's page test. ${msg}\n`);
}

it('serves the hub next to the page', async () => {
  const app = await start();
  try {
    await streamOneEvent(app.url);
  } finally {
    await app.close();
  }
});

it.skipIf(!hasChromium)(
  'the plain HTML page shows an event live in Chromium, no bundler involved',
  async () => {
    const app = await start();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${app.url}/`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'connected', null, {
        timeout: 30_000,
      });
      await app.hub.publish({ topic: 'orders', type: 'order.created', data: { item: 'tea' } });
      await page.waitForFunction(() => document.querySelectorAll('#orders li').length === 1, null, {
        timeout: 30_000,
      });
      expect(await page.textContent('#orders li')).toBe('order.created: {"item":"tea"}');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await app.close();
    }
  },
  90_000,
);
