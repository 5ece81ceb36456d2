import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../src/engines/redis/index.js';
import { type RunningHub, startHub } from './helpers.js';
import { KEYS, MercureReader, mercureToken, publishForm } from './mercure-helpers.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from './services.js';

/**
 * Two hub nodes on one Redis behave as one Mercure hub: updates published on either reach
 * subscribers on both, with the same ids; resumes work on any node; active subscriptions span
 * both. Each node has its own Redis engine (its own connections), as separate processes would.
 */
const url = await needRedis(import.meta.url);

const BOOKS = 'https://example.com/books';
const SENTINEL = 'https://example.com/sentinel';
const SUBS = '/.well-known/mercure/subscriptions';
const SUBS_TEMPLATE = `${SUBS}/{topic}/{subscriber}`;

let prefix = '';
const hubs: RunningHub[] = [];
const readers: MercureReader[] = [];

beforeEach(() => {
  prefix = uniquePrefix('mercure');
});
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of hubs.splice(0)) await h.close();
  if (url) await deleteRedisKeys(url, prefix);
});

async function node(): Promise<RunningHub & { engine: RedisEngine }> {
  const engine = redisEngine(url as string, { keyPrefix: prefix });
  await engine.ready();
  const h = await startHub({
    engine,
    mercure: { ...KEYS, anonymous: true, subscriptions: true, subscriptionsRefreshMs: 500 },
  });
  hubs.push(h);
  return Object.assign(h, { engine });
}

async function open(base: string, topics: string[], o: Parameters<typeof MercureReader.open>[2] = {}) {
  const r = await MercureReader.open(base, topics, o);
  readers.push(r);
  return r;
}

/** Waits until `base` counts `n` open streams (a stream receives what is published after it opened). */
async function streams(h: RunningHub, n: number): Promise<void> {
  for (let i = 0; i < 1000 && h.hub.connections().length < n; i++) await new Promise((r) => setTimeout(r, 5));
  expect(h.hub.connections().length).toBe(n);
}

let publisher: string;
async function pub(base: string, fields: Parameters<typeof publishForm>[1]): Promise<string> {
  publisher ??= await mercureToken({ publish: ['*'] });
  const r = await publishForm(base, fields, { token: publisher });
  if (r.status !== 200) throw new Error(`publish answered ${r.status}: ${r.body}`);
  return r.body;
}

describe.skipIf(!url)('two hub nodes on Redis as one Mercure hub', () => {
  it('delivers updates published on one node to the subscribers of the other, privacy and ids included, and resumes on either', async () => {
    const [a, b] = [await node(), await node()];
    const claims = await mercureToken({ subscribe: [`${BOOKS}/{id}`] });
    const anonOnB = await open(b.url, [`${BOOKS}/{id}`, SENTINEL]);
    const privateOnB = await open(b.url, [`${BOOKS}/{id}`, SENTINEL], { token: claims });
    const altOnB = await open(b.url, ['https://example.com/shelves/top', SENTINEL]);
    const onA = await open(a.url, ['*']);
    await streams(b, 3);
    await streams(a, 1);

    const ids = [
      await pub(a.url, { topic: `${BOOKS}/1`, data: 'public from A', id: 'urn:rev:[1]' }),
      await pub(b.url, { topic: `${BOOKS}/2`, data: 'private from B', private: true }),
      await pub(a.url, { topic: [`${BOOKS}/3`, 'https://example.com/shelves/top'], data: 'alternate' }),
      await pub(b.url, { topic: SENTINEL, data: 'end' }),
    ];
    for (const r of [anonOnB, privateOnB, altOnB, onA]) await r.waitFor((x) => x.data.includes('end'));
    expect(anonOnB.data).toEqual(['public from A', 'alternate', 'end']);
    expect(privateOnB.updates.map((u) => [u.id, u.data])).toEqual([
      [ids[0], 'public from A'],
      [ids[1], 'private from B'],
      [ids[2], 'alternate'],
      [ids[3], 'end'],
    ]);
    expect(altOnB.data).toEqual(['alternate', 'end']);
    expect(onA.updates.map((u) => u.id)).toEqual([ids[0], ids[2], ids[3]]);

    // Resume on the other node from an id issued by the first, and from the start of history.
    const resumedOnB = await open(b.url, ['*'], { lastEventIdHeader: ids[0], token: claims });
    expect(resumedOnB.response.headers.get('last-event-id')).toBe(ids[0]);
    await resumedOnB.waitFor((x) => x.data.includes('end'));
    expect(resumedOnB.data).toEqual(['private from B', 'alternate', 'end']);
    const earliestOnA = await open(a.url, [`${BOOKS}/{id}`], { lastEventID: 'earliest' });
    await earliestOnA.waitForUpdates(2);
    expect(earliestOnA.data).toEqual(['public from A', 'alternate']);

    // An id is unique across the nodes: a retry on the other node is the same update; another is 409.
    const again = await publishForm(
      b.url,
      { topic: `${BOOKS}/1`, data: 'public from A', id: 'urn:rev:[1]' },
      { token: publisher },
    );
    expect([again.status, again.body]).toEqual([200, 'urn:rev:[1]']);
    const clash = await publishForm(
      b.url,
      { topic: `${BOOKS}/1`, data: 'other', id: 'urn:rev:[1]' },
      { token: publisher },
    );
    expect(clash.status).toBe(409);
  });

  it('shares active subscriptions: events and the API of one node cover the subscribers of the other', async () => {
    const [a, b] = [await node(), await node()];
    const admin = await mercureToken({ subscribe: [SUBS_TEMPLATE, `${SUBS}{/topic}{/subscriber}`] });
    const watcherOnA = await open(a.url, [SUBS_TEMPLATE], { token: admin });
    await streams(a, 1);
    const onB = await open(b.url, [`${BOOKS}/{id}`], {
      token: await mercureToken({ payload: { user: 'bob' } }),
    });
    const about = (active: boolean) =>
      watcherOnA.updates
        .map((u) => JSON.parse(u.data))
        .filter((d) => d.topic === `${BOOKS}/{id}` && d.active === active);
    await watcherOnA.waitFor(() => about(true).length === 1);
    expect(about(true)[0].payload).toEqual({ user: 'bob' });

    const listed = async (base: string) => {
      const res = await fetch(`${base}${SUBS}`, { headers: { authorization: `Bearer ${admin}` } });
      return ((await res.json()) as { subscriptions: Array<{ topic: string; subscriber: string }> })
        .subscriptions;
    };
    let seen = await listed(a.url);
    for (let i = 0; i < 500 && !seen.some((s) => s.topic === `${BOOKS}/{id}`); i++) {
      await new Promise((r) => setTimeout(r, 10));
      seen = await listed(a.url);
    }
    expect(seen.find((s) => s.topic === `${BOOKS}/{id}`)?.subscriber).toBe(about(true)[0].subscriber);

    await onB.close();
    await watcherOnA.waitFor(() => about(false).length === 1);
    seen = await listed(a.url);
    for (let i = 0; i < 500 && seen.some((s) => s.topic === `${BOOKS}/{id}`); i++) {
      await new Promise((r) => setTimeout(r, 10));
      seen = await listed(a.url);
    }
    expect(seen.map((s) => s.topic)).toEqual([SUBS_TEMPLATE]);
  });
});
