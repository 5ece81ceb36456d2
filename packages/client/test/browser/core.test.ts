/**
 * The client's core in Chromium, over its default transport (streaming `fetch`) against a real
 * hub: ordered delivery, resume without loss or repeats after the hub drops the stream, a token
 * refreshed after a 401, and the debug warning for a buffering proxy. The same behaviours run
 * on Node in the client suite; here the browser's own fetch, streams and timers carry them.
 */
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type BrowserRig, hasChromium, startRig } from './browser-harness.js';

interface PageGlobals {
  Tidings: typeof import('@tidings/client');
  client: import('@tidings/client').TidingsClient<undefined>;
  log: { ids: string[]; statuses: string[]; tokens: number; warnings: string[] };
}

let rig: BrowserRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const KEY = 'pk-browser-0123456789abcdef0123456789';

async function install(page: Page, o: { badFirstToken?: boolean; debug?: boolean } = {}): Promise<void> {
  await page.evaluate(
    ({ key, badFirstToken, debug }) => {
      const w = window as unknown as PageGlobals;
      w.log = { ids: [], statuses: [], tokens: 0, warnings: [] };
      w.client = w.Tidings.createClient({
        url: '/events',
        topics: ['news'],
        backoff: { initialMs: 50, maxMs: 200 },
        debug,
        token: () => {
          w.log.tokens++;
          return badFirstToken && w.log.tokens === 1 ? 'not-the-key-0123456789abcdef0123456' : key;
        },
        environment: {
          logger: {
            debug: () => {},
            warn: (m: string) => w.log.warnings.push(m),
            error: (m: string) => w.log.warnings.push(m),
          },
        },
      });
      w.client.on('*', (e) => w.log.ids.push(e.id));
      w.client.onState((s) => {
        if (w.log.statuses[w.log.statuses.length - 1] !== s.status) w.log.statuses.push(s.status);
      });
      w.client.connect();
    },
    { key: KEY, badFirstToken: o.badFirstToken === true, debug: o.debug === true },
  );
}

const log = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).log);
const state = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).client.state);

async function eventually(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasChromium)('the client core in Chromium (streaming fetch)', { timeout: 60_000 }, () => {
  it('delivers in order, and resumes after a dropped stream losing and repeating nothing', async () => {
    rig = await startRig({ auth: { publisherKey: KEY } });
    const tab = await rig.openTab();
    await install(tab);
    await eventually(async () => (await state(tab)).connectionId !== null, 'the connection');
    const published: string[] = [];
    for (let i = 0; i < 5; i++)
      published.push((await rig.hub.publish({ topic: 'news', type: 'n', data: { i } })).id);
    await eventually(async () => (await log(tab)).ids.length === 5, 'five events');
    const [conn] = rig.hub.connections();
    rig.hub.disconnect(conn?.id as string);
    // Published while the browser reconnects: it must get them through Last-Event-ID.
    for (let i = 5; i < 8; i++)
      published.push((await rig.hub.publish({ topic: 'news', type: 'n', data: { i } })).id);
    await eventually(async () => (await log(tab)).ids.length >= 8, 'the events published meanwhile');
    const l = await log(tab);
    expect(l.ids).toEqual(published);
    expect(l.statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('fetches a fresh token after a 401 and connects with it', async () => {
    rig = await startRig({ auth: { publisherKey: KEY } });
    const tab = await rig.openTab();
    await install(tab, { badFirstToken: true });
    await eventually(async () => (await state(tab)).status === 'connected', 'the connection');
    expect((await log(tab)).tokens).toBe(2);
  });

  it('stays quiet in debug mode when nothing buffers the stream', async () => {
    rig = await startRig({ auth: { publisherKey: KEY } });
    const tab = await rig.openTab();
    await install(tab, { debug: true });
    await eventually(async () => (await state(tab)).connectionId !== null, 'the connection');
    await rig.hub.publish({ topic: 'news', type: 'n', data: {} });
    await eventually(async () => (await log(tab)).ids.length === 1, 'the event');
    expect((await log(tab)).warnings).toEqual([]);
  });
});
