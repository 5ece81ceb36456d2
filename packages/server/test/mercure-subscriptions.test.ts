import { afterEach, describe, expect, it } from 'vitest';
import { type Engine, type HubOptions, MemoryBroker, memoryStore } from '../src/index.js';
import { type RunningHub, startHub, until } from './helpers.js';
import { KEYS, MercureReader, mercureToken, subscribeAnswer } from './mercure-helpers.js';

/** Active subscriptions (draft-dunglas-mercure-07, "Active Subscriptions"): events and the API. */

const SUBS = '/.well-known/mercure/subscriptions';
const SUBS_TEMPLATE = `${SUBS}/{topic}/{subscriber}`;
const API_CLAIM = `${SUBS}{/topic}{/subscriber}`;
const BOOKS = 'https://example.com/books/{id}';

const running: RunningHub[] = [];
const readers: MercureReader[] = [];

async function hub(o: HubOptions = {}) {
  const h = await startHub({ mercure: { ...KEYS, anonymous: true, subscriptions: true }, ...o });
  running.push(h);
  return h;
}

async function open(base: string, topics: string[], o: Parameters<typeof MercureReader.open>[2] = {}) {
  const r = await MercureReader.open(base, topics, o);
  readers.push(r);
  return r;
}

async function api(base: string, path: string, token?: string) {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) };
}

/** Calls `fn` until `ok` holds for its result (the nodes' exchange is asynchronous on a real broker). */
async function eventually<T>(fn: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`Timed out; last answer ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});

describe('Mercure active subscriptions', () => {
  it('publishes a private update when a subscription starts and ends, with the subscriber payload', async () => {
    const h = await hub();
    const watcher = await open(h.url, [SUBS_TEMPLATE], {
      token: await mercureToken({ subscribe: [SUBS_TEMPLATE] }),
    });
    const anon = await open(h.url, [SUBS_TEMPLATE]);
    const bob = await open(h.url, [BOOKS], {
      token: await mercureToken({ subscribe: [], payload: { user: 'bob' } }),
    });
    // The watcher also sees its own subscription and the anonymous one's: pick bob's.
    const about = (active: boolean) =>
      watcher.updates.map((u) => JSON.parse(u.data)).filter((d) => d.topic === BOOKS && d.active === active);
    await watcher.waitFor(() => about(true).length === 1);
    const started = about(true)[0];
    expect(started).toMatchObject({
      '@context': 'https://mercure.rocks/',
      type: 'Subscription',
      topic: BOOKS,
      active: true,
      payload: { user: 'bob' },
    });
    expect(started.subscriber).toMatch(/^urn:uuid:/);
    expect(started.id).toBe(
      `${SUBS}/${encodeURIComponent(BOOKS)}/${encodeURIComponent(started.subscriber)}`.replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    );
    await bob.close();
    await watcher.waitFor(() => about(false).length === 1);
    expect(about(false)[0]).toMatchObject({ id: started.id, subscriber: started.subscriber });
    // Subscription events are private: an anonymous subscriber of the same template sees none.
    expect(anon.updates).toEqual([]);
  });

  it('lists active subscriptions as JSON-LD, by topic and one by one, to tokens whose claim matches the URL', async () => {
    const h = await hub();
    const admin = await mercureToken({ subscribe: [API_CLAIM] });
    const alice = await open(h.url, [BOOKS, 'https://example.com/news'], {
      token: await mercureToken({ subscribe: [], payload: { user: 'alice' } }),
    });
    const all = await api(h.url, SUBS, admin);
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^application\/ld\+json/);
    expect(all.body).toMatchObject({ '@context': 'https://mercure.rocks/', id: SUBS, type: 'Subscriptions' });
    expect(all.body.lastEventID).toEqual(expect.any(String));
    expect(all.body.subscriptions.map((s: { topic: string }) => s.topic).sort()).toEqual([
      BOOKS,
      'https://example.com/news',
    ]);
    const one = all.body.subscriptions.find((s: { topic: string }) => s.topic === BOOKS);
    expect(one).toMatchObject({ type: 'Subscription', active: true, payload: { user: 'alice' } });

    const byTopic = await api(h.url, `${SUBS}/${encodeURIComponent(BOOKS)}`, admin);
    expect(byTopic.body.subscriptions).toEqual([one]);
    const single = await api(h.url, one.id, admin);
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ ...one, '@context': 'https://mercure.rocks/' });
    expect(single.body.lastEventID).toEqual(expect.any(String));

    expect((await api(h.url, `${SUBS}/${encodeURIComponent(BOOKS)}/urn%3Auuid%3Anobody`, admin)).status).toBe(
      404,
    );
    expect((await api(h.url, SUBS)).status).toBe(401);
    expect((await api(h.url, SUBS, await mercureToken({ subscribe: [BOOKS] }))).status).toBe(403);

    await alice.close();
    await until(() => h.hub.connections().length === 0);
    const after = await api(h.url, SUBS, admin);
    expect(after.body.subscriptions).toEqual([]);
  });

  it('is absent unless turned on', async () => {
    const h = await startHub({ mercure: { ...KEYS } });
    running.push(h);
    const res = await fetch(`${h.url}${SUBS}`);
    expect(res.status).toBe(404);
    expect((await subscribeAnswer(h.url, `topic=${encodeURIComponent(SUBS_TEMPLATE)}`)).status).toBe(401);
  });

  it('spans hub nodes sharing an engine: the API of one node lists the subscribers of another', async () => {
    const store = memoryStore();
    const broker = new MemoryBroker();
    const shared = (): Engine => ({ store, broker, close: async () => {} });
    const a = await hub({ engine: shared(), nodeId: 'a' });
    const b = await hub({ engine: shared(), nodeId: 'b' });
    const admin = await mercureToken({ subscribe: [API_CLAIM, SUBS_TEMPLATE] });
    const topicsOn = async (base: string) =>
      (await api(base, SUBS, admin)).body.subscriptions.map((s: { topic: string }) => s.topic).sort();
    const watcherOnA = await open(a.url, [SUBS_TEMPLATE], { token: admin });
    const onB = await open(b.url, [BOOKS]);
    // B's subscription event reaches A's watcher, and A's API lists B's subscriber.
    await watcherOnA.waitFor((r) => r.data.some((d) => JSON.parse(d).topic === BOOKS));
    expect(await topicsOn(a.url)).toEqual([BOOKS, SUBS_TEMPLATE].sort());
    await onB.close();
    await watcherOnA.waitFor((r) =>
      r.data.some((d) => JSON.parse(d).topic === BOOKS && !JSON.parse(d).active),
    );
    expect(await topicsOn(a.url)).toEqual([SUBS_TEMPLATE]);
    // A node that starts later learns the subscriptions that already exist.
    const c = await hub({ engine: shared(), nodeId: 'c' });
    expect(
      await eventually(
        () => topicsOn(c.url),
        (t) => t.length === 1,
      ),
    ).toEqual([SUBS_TEMPLATE]);
    await broker.close();
  });
});
