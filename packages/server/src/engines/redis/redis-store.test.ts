import { comparePositions, compilePattern } from '@tidings/protocol';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteRedisKeys, freePort, needRedis, uniquePrefix } from '../../../test/services.js';
import { isHubError } from '../../core/errors.js';
import type { NewEvent } from '../../core/stored-event.js';
import { runStoreSuite } from '../../testing/store-suite.js';
import { RedisStore } from './redis-store.js';

const url = await needRedis(import.meta.url);
const prefixes: string[] = [];
const open: RedisStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteRedisKeys(url, p);
});

function store(keyPrefix = uniquePrefix('store'), redis = url as string): RedisStore {
  prefixes.push(keyPrefix);
  const s = new RedisStore({ redis, keyPrefix });
  open.push(s);
  return s;
}

const ev = (topic: string, data: unknown = null, id?: string): NewEvent => ({
  topic,
  type: 't',
  ts: Date.now(),
  dataJson: JSON.stringify(data),
  id,
});

describe.skipIf(!url)('RedisStore', () => {
  runStoreSuite({
    name: 'redis',
    create: (o) => {
      const keyPrefix = uniquePrefix('store');
      prefixes.push(keyPrefix);
      return new RedisStore({ redis: url as string, keyPrefix, ...o });
    },
    async reopen(store) {
      const s = store as RedisStore;
      await s.close();
      return new RedisStore({ redis: url as string, keyPrefix: s.keys.base.slice(1, -2) });
    },
  });

  it("hands out increasing positions across two nodes sharing a prefix, which see each other's events and ids", async () => {
    const prefix = uniquePrefix('store');
    const [a, b] = [store(prefix), store(prefix)];
    const got = [];
    for (let i = 0; i < 20; i++) got.push(...(await (i % 2 ? a : b).append([ev('x', i), ev('y', i)])));
    const positions = got.map((r) => r.event.pos);
    expect([...positions].sort(comparePositions)).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    const [sup] = await a.append([ev('x', 'first', 'order-1')]);
    // Idempotent across nodes for the same publisher and topic; another topic is another event.
    const [dup] = await b.append([ev('x', 'second', 'order-1')]);
    expect(dup?.duplicate).toBe(true);
    expect(dup?.event).toMatchObject({ id: 'order-1', topic: 'x', dataJson: '"first"', pos: sup?.event.pos });
    const [other] = await b.append([ev('y', 'third', 'order-1')]);
    expect(other?.duplicate).toBe(false);
    const point = await b.resolve('order-1', { topics: ['x'], patterns: [] });
    expect(point.kind === 'matches' && point.events.map((e) => e.pos)).toEqual([sup?.event.pos]);
    // Both nodes make the same ids from the same positions (one key per history, in Redis).
    const page = await b.readAfter('0', { topics: ['x', 'y'], patterns: [] }, 100);
    expect(page.events.map((e) => e.id)).toEqual([...got.map((r) => r.event.id), 'order-1', 'order-1']);
    expect(await a.resolve(b.idAt(await b.head()), { topics: [], patterns: [] })).toEqual({
      kind: 'found',
      pos: other?.event.pos,
    });
  });

  it('merges a read over hundreds of topics in position order, page by page', async () => {
    const s = store();
    const all = [];
    for (let round = 0; round < 3; round++) {
      const batch = Array.from({ length: 300 }, (_, i) => ev(`m/${(i * 7 + round) % 300}`, { round, i }));
      all.push(...(await s.append(batch)));
    }
    await s.append([ev('n/other')]);
    const seen: string[] = [];
    let cursor = '0';
    for (;;) {
      const page = await s.readAfter(cursor, { topics: [], patterns: [compilePattern('m/*')] }, 37);
      seen.push(...page.events.map((e) => e.id));
      if (page.events.length < 37) break;
      cursor = page.events.at(-1)?.pos as string;
    }
    expect(seen).toEqual(all.map((r) => r.event.id));
  });

  it('reads a leading-wildcard pattern over more topics than one script takes, merged in position order', async () => {
    const s = store();
    const [start] = await s.append([ev('start')]);
    const appended = [];
    for (let round = 0; round < 2; round++) {
      appended.push(...(await s.append(Array.from({ length: 700 }, (_, i) => ev(`w${i}/x`, { round, i })))));
    }
    const page = await s.readAfter(
      start?.event.pos as string,
      { topics: [], patterns: [compilePattern('*/x')] },
      1000,
    );
    expect(page.events.map((e) => e.id)).toEqual(appended.slice(0, 1000).map((r) => r.event.id));
    expect(page.truncated).toBe(false);
  });

  it('indexes the topics of a history written before the recent-topics index existed', async () => {
    const prefix = uniquePrefix('store');
    const s = store(prefix);
    const [start] = await s.append([ev('start')]);
    const old = await s.append(Array.from({ length: 1200 }, (_, i) => ev(`old${i}/x`, i)));
    // What an older node left behind: no `recent`, no `evicted-at`, no marker.
    const { Redis } = await import('ioredis');
    const raw = new Redis(url as string);
    await raw.del(s.keys.recent, s.keys.evictedAt, s.keys.indexed);
    await raw.quit();
    const fresh = store(prefix);
    const page = await fresh.readAfter(
      start?.event.pos as string,
      { topics: [], patterns: [compilePattern('**')] },
      2000,
    );
    expect(page.events.map((e) => e.id)).toEqual(old.map((r) => r.event.id));
  });

  it('treats ids from a history Redis lost as unknown, replaying the whole new history after the reset', async () => {
    const prefix = uniquePrefix('store');
    const s = store(prefix);
    const [old] = await s.append([ev('t', 1), ev('t', 2, 'sup-1')]);
    await deleteRedisKeys(url as string, prefix); // what a Redis restart without persistence does
    const [fresh] = await s.append([ev('t', 3)]);
    const t = { topics: ['t'], patterns: [] };
    // This process knew the lost history's id key: its ids are recognised, and everything held
    // now is newer than them.
    expect(await s.resolve(old?.event.id as string, t)).toEqual({ kind: 'unknown', replayFrom: '0' });
    // A supplied id carries nothing: it counts as lost only once a node marked the recovery.
    expect(await s.resolve('sup-1', t)).toEqual({ kind: 'unknown' });
    expect(await s.resolve(fresh?.event.id as string, t)).toEqual({ kind: 'found', pos: fresh?.event.pos });
    const c = new Redis(url as string);
    try {
      const epoch = (await c.get(s.keys.epoch)) as string;
      await c.set(s.keys.recovered, epoch, 'PX', 60_000);
      expect(await s.resolve('sup-1', t)).toEqual({ kind: 'unknown', replayFrom: '0' });
      expect(await s.resolve('~never-issued-by-anyone-x', t)).toEqual({ kind: 'unknown', replayFrom: '0' });
      // A mark left by an earlier recovery does not apply to a later epoch.
      await c.set(s.keys.recovered, 'zzzzzz', 'PX', 60_000);
      expect(await s.resolve('sup-1', t)).toEqual({ kind: 'unknown' });
    } finally {
      c.disconnect();
    }
  });

  it('refuses supplied ids that look generated, and positions that are not its own', async () => {
    const s = store();
    for (const id of ['abcdef.12', 'abcdef.1700000000000-0', `~${'a'.repeat(22)}`]) {
      const err = await s.append([ev('t', 1, id)]).catch((e: unknown) => e);
      expect(isHubError(err) && err.status).toBe(400);
    }
    await expect(s.readAfter('42', { topics: ['t'], patterns: [] }, 1)).rejects.toThrow(
      /not a position of this Redis store/,
    );
  });

  it('fails fast with 503 and a sentence naming Redis when it is unreachable', async () => {
    const port = await freePort();
    const s = store(uniquePrefix('store'), `redis://127.0.0.1:${port}`);
    for (let i = 0; i < 2; i++) {
      const err = await s.append([ev('t')]).catch((e: unknown) => e);
      expect(isHubError(err)).toBe(true);
      expect(err).toMatchObject({ status: 503, code: 'unavailable', headers: { 'retry-after': '1' } });
      expect((err as Error).message).toMatch(
        new RegExp(
          `^Redis at redis://127\\.0\\.0\\.1:${port} is unreachable \\(.*ECONNREFUSED.*\\), so the event was not stored\\. Retry in a moment\\.$`,
        ),
      );
    }
    await expect(s.resolve('x', { topics: ['t'], patterns: [] })).rejects.toThrow(
      /cannot resume from history yet/,
    );
  });
});
