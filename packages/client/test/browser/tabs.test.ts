import type { PublishResult } from '@tidings/server';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type BrowserRig, hasChromium, setVisibility, startRig } from './browser-harness.js';

/** What the page keeps on `window` for the test to read. */
interface PageGlobals {
  Tidings: typeof import('@tidings/client');
  client: import('@tidings/client').TidingsClient<import('@tidings/client').AnyEventDefinitions>;
  log: { ids: string[]; statuses: string[]; resets: string[] };
}

let rig: BrowserRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Creates a client in the page (url relative to the page) and connects it. */
async function install(page: Page, options: Record<string, unknown>): Promise<void> {
  await page.evaluate((o) => {
    const w = window as unknown as PageGlobals;
    w.log = { ids: [], statuses: [], resets: [] };
    // Declared, so that EventSource (which dispatches by type name) hears it too.
    const events = w.Tidings.defineEvents({
      'lease-added': {
        '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) },
      },
    });
    w.client = w.Tidings.createClient({ url: '/events', topics: ['leases'], events, ...o });
    w.client.on('*', (e) => w.log.ids.push(e.id));
    w.client.onReset((r) => w.log.resets.push(r.reason));
    w.client.onState((s) => {
      if (w.log.statuses[w.log.statuses.length - 1] !== s.status) w.log.statuses.push(s.status);
    });
    w.client.connect();
  }, options);
}

const ids = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).log.ids);
const statuses = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).log.statuses);
const role = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).client.role);
const status = (p: Page) => p.evaluate(() => (window as unknown as PageGlobals).client.state.status);

/** Polls an asynchronous condition. */
async function eventually(
  cond: () => Promise<boolean> | boolean,
  ms = 15_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function publish(n: number, from = 0): Promise<PublishResult[]> {
  const out: PublishResult[] = [];
  for (let i = from; i < from + n; i++) {
    out.push(await (rig as BrowserRig).hub.publish({ topic: 'leases', type: 'lease-added', data: { i } }));
  }
  return out;
}

const shared = { shareAcrossTabs: true, backoff: { initialMs: 50, maxMs: 200 } };

// Generous: Chromium shares two cores with every other test run on the machine.
describe.skipIf(!hasChromium)('in Chromium', { timeout: 60_000 }, () => {
  it('three tabs share one connection; when the leader closes another takes over, losing and repeating nothing', async () => {
    const resumedFrom: (string | undefined)[] = [];
    rig = await startRig({
      authorizer: {
        async authorizeSubscribe(req) {
          resumedFrom.push(req.header('last-event-id'));
          return { principal: {} };
        },
        async authorizePublish() {
          return {};
        },
      },
    });
    let opened = 0;
    rig.hub.observe({ connectionOpened: () => opened++ });
    const tabs = [await rig.openTab(), await rig.openTab(), await rig.openTab()];
    for (const t of tabs) await install(t, shared);
    await eventually(
      async () => (await Promise.all(tabs.map(status))).every((s) => s === 'connected'),
      15_000,
      'three connected tabs',
    );
    expect(rig.hub.connections()).toHaveLength(1);
    expect(opened).toBe(1);
    const roles = await Promise.all(tabs.map(role));
    expect(roles.filter((r) => r === 'leader')).toHaveLength(1);
    expect(roles.filter((r) => r === 'follower')).toHaveLength(2);

    const first = await publish(10);
    await eventually(
      async () => (await Promise.all(tabs.map(ids))).every((x) => x.length === 10),
      15_000,
      'ten events in every tab',
    );
    for (const t of tabs) expect(await ids(t)).toEqual(first.map((p) => p.id));

    const leader = tabs[roles.indexOf('leader')] as Page;
    const survivors = tabs.filter((t) => t !== leader);
    await leader.close();
    // Published while the leader is gone and the next one takes over.
    const second = await publish(10, 10);
    const want = [...first, ...second].map((p) => p.id);
    await eventually(
      async () => (await Promise.all(survivors.map(ids))).every((x) => x.length >= 20),
      15_000,
      'twenty events in the surviving tabs',
    );
    for (const t of survivors) expect(await ids(t)).toEqual(want);
    // The closing leader may still relay the second batch, and its connection may still count,
    // so wait for the new leader's connection, not just for a count of one.
    await eventually(
      () => opened === 2 && rig?.hub.connections().length === 1,
      15_000,
      "the new leader's connection, and only it",
    );
    expect(opened).toBe(2);
    // The new leader resumed from the last id it had seen (relayed by the old leader), not from
    // scratch. Which id depends on how long the closing tab kept relaying.
    expect(resumedFrom).toHaveLength(2);
    expect(resumedFrom[0]).toBeUndefined();
    expect(want).toContain(resumedFrom[1]);
    expect((await Promise.all(survivors.map(role))).sort()).toEqual(['follower', 'leader']);
    for (const t of survivors)
      expect(await t.evaluate(() => (window as unknown as PageGlobals).log.resets)).toEqual([]);
    for (const t of survivors) expect(await status(t)).toBe('connected');
  });

  it('over a shared WebSocket, a follower tab runs commands and changes topics through the leader', async () => {
    rig = await startRig();
    const calls: (string | undefined)[] = [];
    rig.hub.onCommand('tabs.echo', (args, ctx) => {
      calls.push(ctx.connectionId);
      return args;
    });
    rig.hub.onCommand('tabs.fail', () => {
      throw new Error('hidden');
    });
    const tabs = [await rig.openTab(), await rig.openTab()];
    for (const t of tabs) await install(t, { ...shared, transport: 'websocket' });
    await eventually(async () => (await Promise.all(tabs.map(status))).every((s) => s === 'connected'));
    const roles = await Promise.all(tabs.map(role));
    const follower = tabs[roles.indexOf('follower')] as Page;
    const leader = tabs[roles.indexOf('leader')] as Page;
    expect(rig.hub.connections().map((c) => c.transport)).toEqual(['websocket']);

    const result = await follower.evaluate(() =>
      (window as unknown as PageGlobals).client.command('tabs.echo', { from: 'follower' }),
    );
    expect(result).toEqual({ from: 'follower' });
    const failure = await follower.evaluate(() =>
      (window as unknown as PageGlobals).client.command('tabs.fail').then(
        () => 'resolved',
        (e: { name: string; code: string }) => `${e.name} ${e.code}`,
      ),
    );
    expect(failure).toBe('CommandError command-failed');
    // Run by the leader on the one shared connection.
    expect(calls).toEqual([rig.hub.connections()[0]?.id]);

    await follower.evaluate(() => (window as unknown as PageGlobals).client.subscribe('other'));
    await eventually(
      () => rig?.hub.connections()[0]?.topics.includes('other') === true,
      15_000,
      'the new topic',
    );
    const sent = await rig.hub.publish({ topic: 'other', type: 'lease-added', data: {} });
    for (const t of tabs) await eventually(async () => (await ids(t)).includes(sent.id), 15_000, 'the event');
    expect(rig.hub.connections()).toHaveLength(1);
    await eventually(
      async () =>
        (await leader.evaluate(() => (window as unknown as PageGlobals).client.topics.join())) ===
        'leases,other',
      15_000,
      'the topics in the leader',
    );
    const seen = await follower.evaluate(() => {
      const c = (window as unknown as PageGlobals).client;
      return { transport: c.transport, topics: c.topics };
    });
    expect(seen).toEqual({ transport: 'websocket', topics: ['leases', 'other'] });
    await eventually(
      async () =>
        (await follower.evaluate(() => (window as unknown as PageGlobals).client.latencyMs)) !== null,
      15_000,
      'latency relayed to the follower',
    );
  });

  it('pauses a shared connection only when every tab is hidden, and resumes without loss', async () => {
    rig = await startRig();
    const tabs = [await rig.openTab(), await rig.openTab()];
    for (const t of tabs) await install(t, { ...shared, pauseWhenHidden: { afterMs: 150 } });
    await eventually(async () => (await Promise.all(tabs.map(status))).every((s) => s === 'connected'));
    const roles = await Promise.all(tabs.map(role));
    const leader = tabs[roles.indexOf('leader')] as Page;
    const follower = tabs[roles.indexOf('follower')] as Page;

    // An event first, so that there is an id to resume from (without one, see the reset test).
    const before = await publish(1);
    await eventually(async () => (await Promise.all(tabs.map(ids))).every((x) => x.length === 1));

    await setVisibility(leader, false);
    // Well past the grace period: the follower is still visible, so the stream stays.
    await new Promise((r) => setTimeout(r, 600));
    expect(await status(leader)).toBe('connected');
    expect(rig.hub.connections()).toHaveLength(1);

    await setVisibility(follower, false);
    await eventually(() => rig?.hub.connections().length === 0, 15_000, 'the stream to pause');
    await eventually(async () => (await Promise.all(tabs.map(status))).every((s) => s === 'disconnected'));
    expect(await follower.evaluate(() => (window as unknown as PageGlobals).client.state.reason)).toBe(
      'paused',
    );
    const missed = await publish(3, 1);

    await setVisibility(follower, true);
    await eventually(
      async () => (await Promise.all(tabs.map(ids))).every((x) => x.length === 4),
      15_000,
      'the events published while paused',
    );
    for (const t of tabs) expect(await ids(t)).toEqual([...before, ...missed].map((p) => p.id));
    expect(rig.hub.connections()).toHaveLength(1);
  });

  it('reconnects at once when the browser comes back online', async () => {
    rig = await startRig();
    const tab = await rig.openTab();
    // A backoff far longer than the test: only the online event can explain a quick return.
    await install(tab, { backoff: { initialMs: 120_000, maxMs: 120_000, jitter: false } });
    await eventually(async () => (await status(tab)) === 'connected');
    const [conn] = rig.hub.connections();
    rig.hub.disconnect(conn?.id as string);
    await eventually(async () => (await status(tab)) === 'reconnecting');
    await rig.context.setOffline(true);
    await rig.context.setOffline(false);
    await eventually(async () => (await status(tab)) === 'connected', 15_000, 'reconnection on online');
    expect(await statuses(tab)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('pauses a solo connection while hidden, and on becoming visible after a failure retries at once', async () => {
    rig = await startRig();
    const tab = await rig.openTab();
    await install(tab, {
      pauseWhenHidden: { afterMs: 100 },
      backoff: { initialMs: 120_000, maxMs: 120_000, jitter: false },
    });
    await eventually(async () => (await status(tab)) === 'connected');
    const before = await publish(1);
    await eventually(async () => (await ids(tab)).length === 1);
    await setVisibility(tab, false);
    await eventually(() => rig?.hub.connections().length === 0, 15_000, 'the stream to pause');
    const missed = await publish(2, 1);
    await setVisibility(tab, true);
    await eventually(async () => (await ids(tab)).length === 3, 15_000, 'the missed events');
    expect(await ids(tab)).toEqual([...before, ...missed].map((p) => p.id));
    expect(await tab.evaluate(() => (window as unknown as PageGlobals).log.resets)).toEqual([]);

    const [conn] = rig.hub.connections();
    rig.hub.disconnect(conn?.id as string);
    await eventually(async () => (await status(tab)) === 'reconnecting');
    await setVisibility(tab, false);
    await setVisibility(tab, true);
    await eventually(async () => (await status(tab)) === 'connected', 15_000, 'reconnection on visible');
  });

  it("streams with Chromium's own EventSource, resuming with ?lastEventId=", async () => {
    rig = await startRig();
    const tab = await rig.openTab();
    await install(tab, { useNativeEventSource: true, backoff: { initialMs: 50, maxMs: 100 } });
    await eventually(async () => (await status(tab)) === 'connected');
    const a = await publish(1);
    await eventually(async () => (await ids(tab)).length === 1);
    const [conn] = rig.hub.connections();
    rig.hub.disconnect(conn?.id as string);
    const b = await publish(1, 1);
    await eventually(
      async () => (await ids(tab)).length === 2,
      15_000,
      'the event published during the reconnection',
    );
    expect(await ids(tab)).toEqual([...a, ...b].map((p) => p.id));
  });

  it("logs decisions when localStorage['tidings-debug'] is '1'", async () => {
    rig = await startRig();
    const tab = await rig.openTab();
    const lines: string[] = [];
    tab.on('console', (m) => lines.push(m.text()));
    await tab.evaluate(() => localStorage.setItem('tidings-debug', '1'));
    await install(tab, {});
    await eventually(async () => (await status(tab)) === 'connected');
    await eventually(() => lines.some((l) => l === '[tidings] connected'), 5000, 'the debug line');
    expect(lines.some((l) => l.startsWith('[tidings] connecting to http://127.0.0.1:'))).toBe(true);
  });
});
