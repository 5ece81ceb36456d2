import { comparePositions, compilePattern } from '@tidings/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../core/stored-event.js';
import type { HistoryStore, ResumePoint, RetentionOptions, TopicFilter } from '../engines/history-store.js';

/** How the conformance suite builds the store under test. */
export interface StoreSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /** A fresh, empty store. `now` is the clock to use when the store supports injecting one. */
  create(options: { retention?: RetentionOptions; now?: () => number }): Promise<HistoryStore> | HistoryStore;
  /**
   * Closes `store` and opens a new instance on the same data, for durability checks. Omit for
   * stores that keep nothing (the in-memory one).
   */
  reopen?(store: HistoryStore): Promise<HistoryStore>;
  /** False when the store's clock cannot be injected (age-retention tests are then skipped). */
  injectableClock?: boolean;
}

let seq = 0;
function ev(topic: string, data: unknown = { n: ++seq }, extra: Partial<NewEvent> = {}): NewEvent {
  return { topic, type: 'test', ts: Date.now(), dataJson: JSON.stringify(data), ...extra };
}

function filter(topics: string[], patterns: string[] = []): TopicFilter {
  return { topics, patterns: patterns.map(compilePattern) };
}

/** Every topic: for resolving ids whose topic does not matter to the test. */
const ALL = filter([], ['**']);

/** The positions a supplied id matched, oldest first ([] for unknown, [pos] for a generated id). */
function positions(point: ResumePoint): string[] {
  if (point.kind === 'unknown') return [];
  if (point.kind === 'found') return [point.pos];
  return point.events.map((e) => e.pos);
}

/** The parts of an event a publisher sees, to compare a duplicate answer with the original. */
function seen(e: StoredEvent | undefined) {
  return e && { id: e.id, pos: e.pos, topic: e.topic, type: e.type, data: e.dataJson, meta: e.meta };
}

/**
 * The shared conformance suite for {@link HistoryStore} implementations: call it from each
 * implementation's test file so every store passes exactly the same tests.
 *
 * @example
 * ```ts
 * runStoreSuite({ name: 'memory', create: (o) => new MemoryStore(o) });
 * ```
 */
export function runStoreSuite(opts: StoreSuiteOptions): void {
  describe(`HistoryStore conformance: ${opts.name}`, () => {
    const open: HistoryStore[] = [];
    const make = async (o: { retention?: RetentionOptions; now?: () => number } = {}) => {
      const s = await opts.create(o);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => {});
    });

    it('assigns unique ids and strictly increasing positions in argument order', async () => {
      const s = await make();
      const a = await s.append([ev('t/a'), ev('t/b'), ev('t/a')]);
      const b = await s.append([ev('t/c')]);
      const all = [...a, ...b];
      expect(all.every((r) => !r.duplicate)).toBe(true);
      expect(new Set(all.map((r) => r.event.id)).size).toBe(4);
      for (let i = 1; i < all.length; i++) {
        expect(comparePositions(all[i - 1]?.event.pos ?? '', all[i]?.event.pos ?? '')).toBeLessThan(0);
      }
      expect(await s.head()).toBe(b[0]?.event.pos);
    });

    it('reports "0" as the head of an empty store', async () => {
      const s = await make();
      expect(await s.head()).toBe('0');
    });

    it('gives an id for any position it issued that resolves back to that position', async () => {
      const s = await make();
      const empty = await s.head();
      expect(await s.resolve(s.idAt(empty), ALL)).toEqual({ kind: 'found', pos: empty });
      const [a] = await s.append([ev('t', {}, { id: 'custom-id' })]);
      const head = await s.head();
      expect(await s.resolve(s.idAt(head), ALL)).toEqual({ kind: 'found', pos: head });
      const [b] = await s.append([ev('t')]);
      // From the empty store's resume point, everything; from the head, only what came later.
      const all = await s.readAfter(
        (await s.resolve(s.idAt(empty), ALL)).kind === 'found' ? empty : '',
        filter(['t']),
        10,
      );
      expect(all.events.map((e) => e.id)).toEqual([a?.event.id, b?.event.id]);
      const later = await s.readAfter(head, filter(['t']), 10);
      expect(later.events.map((e) => e.id)).toEqual([b?.event.id]);
    });

    it('keeps topic, type, time, payload and meta exactly', async () => {
      const s = await make();
      const data = {
        text: 'line1\nline2\r\nline3\r',
        emoji: '🚀',
        empty: '',
        nested: { a: [1, null, true] },
      };
      const meta = { to: { users: ['u1'], sessions: ['s1'] }, extra: 'x' };
      const [r] = await s.append([ev('a/b', data, { type: 'lease-updated', ts: 1_700_000_000_123, meta })]);
      const page = await s.readAfter('0', filter(['a/b']), 10);
      const got = page.events[0];
      expect(got?.id).toBe(r?.event.id);
      expect(got?.type).toBe('lease-updated');
      expect(got?.ts).toBe(1_700_000_000_123);
      expect(JSON.parse(got?.dataJson ?? 'null')).toEqual(data);
      expect(got?.meta).toEqual(meta);
    });

    it('treats a supplied id as idempotent, across calls and within one batch', async () => {
      const s = await make();
      const [first] = await s.append([ev('t', { v: 1 }, { id: 'urn:uuid:1' })]);
      expect(first?.event.id).toBe('urn:uuid:1');
      const again = await s.append([
        ev('t', { v: 2 }, { id: 'urn:uuid:1' }),
        ev('t', { v: 3 }, { id: 'x/y' }),
        ev('t', { v: 4 }, { id: 'x/y' }),
      ]);
      expect(again.map((r) => r.duplicate)).toEqual([true, false, true]);
      expect(again[0]?.event.pos).toBe(first?.event.pos);
      expect(JSON.parse(again[0]?.event.dataJson ?? '')).toEqual({ v: 1 });
      expect(again[2]?.event.pos).toBe(again[1]?.event.pos);
      const page = await s.readAfter('0', filter(['t']), 100);
      expect(page.events.map((e) => e.id)).toEqual(['urn:uuid:1', 'x/y']);
    });

    it('never lets a supplied id create a second event with a generated id', async () => {
      const s = await make();
      const [gen] = await s.append([ev('t')]);
      const id = gen?.event.id as string;
      const attempt = await s.append([ev('t', {}, { id })]).catch((e: unknown) => e);
      if (Array.isArray(attempt)) {
        expect(attempt[0]?.duplicate).toBe(true);
      } else {
        expect((attempt as { status?: number }).status).toBe(400);
      }
      const page = await s.readAfter('0', filter(['t']), 100);
      expect(page.events.filter((e) => e.id === id)).toHaveLength(1);
    });

    it('resolves generated and supplied ids by index, and reports unknown ids', async () => {
      const s = await make();
      const [a, b] = await s.append([ev('t'), ev('t', {}, { id: 'order:42' })]);
      expect(await s.resolve(a?.event.id as string, ALL)).toEqual({ kind: 'found', pos: a?.event.pos });
      const byId = await s.resolve('order:42', filter(['t']));
      expect(byId.kind).toBe('matches');
      expect(byId.kind === 'matches' && byId.events.map(seen)).toEqual([seen(b?.event)]);
      expect(await s.resolve('never-issued', ALL)).toEqual({ kind: 'unknown' });
      expect(await s.resolve('', ALL)).toEqual({ kind: 'unknown' });
    });

    it('scopes a supplied id to its publisher and topic: a duplicate is only ever your own event', async () => {
      const s = await make();
      const [mine] = await s.append([
        ev(
          'tenant/a/orders',
          { secret: 'a' },
          { id: 'order:1', publisher: 'alice', meta: { to: { users: ['u'] } } },
        ),
      ]);
      // Another publisher, same id, same topic: its own fresh event, never a look at alice's.
      const [theirs] = await s.append([
        ev('tenant/a/orders', { v: 'b' }, { id: 'order:1', publisher: 'bob' }),
      ]);
      expect(theirs?.duplicate).toBe(false);
      expect(theirs?.event.id).toBe('order:1');
      expect(theirs?.event.pos).not.toBe(mine?.event.pos);
      expect(theirs?.event.dataJson).toBe('{"v":"b"}');
      expect(theirs?.event.meta).toBeUndefined();
      // The same publisher on another topic: a separate event too.
      const [elsewhere] = await s.append([
        ev('tenant/a/other', { v: 'c' }, { id: 'order:1', publisher: 'alice' }),
      ]);
      expect(elsewhere?.duplicate).toBe(false);
      // Each publisher's retry on its topic answers with its own original, nobody else's.
      const retries = await s.append([
        ev('tenant/a/orders', { v: 'retry' }, { id: 'order:1', publisher: 'alice' }),
        ev('tenant/a/orders', { v: 'retry' }, { id: 'order:1', publisher: 'bob' }),
        ev('tenant/a/orders', { v: 'retry' }, { id: 'order:1' }),
      ]);
      expect(retries.map((r) => r.duplicate)).toEqual([true, true, false]);
      expect(seen(retries[0]?.event)).toEqual(seen(mine?.event));
      expect(seen(retries[1]?.event)).toEqual(seen(theirs?.event));
      const page = await s.readAfter('0', filter(['tenant/a/orders', 'tenant/a/other']), 100);
      expect(page.events.map((e) => e.dataJson)).toEqual([
        '{"secret":"a"}',
        '{"v":"b"}',
        '{"v":"c"}',
        '{"v":"retry"}',
      ]);
      // Nothing the store hands out names the publisher.
      for (const e of page.events) expect(JSON.stringify(e)).not.toMatch(/alice|bob/);
    });

    it('resolves a supplied id on the covered topics only, oldest match first', async () => {
      const s = await make();
      const [secret] = await s.append([ev('tenant/a/x', {}, { id: 'shared', publisher: 'p1' })]);
      await s.append([ev('tenant/b/unrelated')]);
      const [own] = await s.append([ev('tenant/b/x', {}, { id: 'shared', publisher: 'p2' })]);
      const [later] = await s.append([ev('tenant/b/y', {}, { id: 'shared', publisher: 'p1' })]);
      // A stream on tenant b never hears of tenant a's event, by exact topics or by pattern.
      expect(positions(await s.resolve('shared', filter(['tenant/b/x', 'tenant/b/y'])))).toEqual([
        own?.event.pos,
        later?.event.pos,
      ]);
      expect(positions(await s.resolve('shared', filter([], ['tenant/b/**'])))).toEqual([
        own?.event.pos,
        later?.event.pos,
      ]);
      expect(positions(await s.resolve('shared', filter(['tenant/b/y'], ['tenant/b/x'])))).toEqual([
        own?.event.pos,
        later?.event.pos,
      ]);
      // Only tenant a's topic covers it: then it is found, and from nowhere else.
      expect(positions(await s.resolve('shared', filter(['tenant/a/x'])))).toEqual([secret?.event.pos]);
      expect(await s.resolve('shared', filter(['tenant/c/x'], ['tenant/c/**']))).toEqual({ kind: 'unknown' });
      expect(await s.resolve('shared', filter([]))).toEqual({ kind: 'unknown' });
      // Matches carry the whole event, so the caller can judge targeted delivery and privacy.
      const m = await s.resolve('shared', filter(['tenant/a/x']));
      expect(m.kind === 'matches' && seen(m.events[0])).toEqual(seen(secret?.event));
    });

    it('generates opaque ids: no position, count or order, and a fresh resume id on every call', async () => {
      const s = await make();
      const results = [];
      for (let i = 0; i < 20; i++) results.push(...(await s.append([ev('t')])));
      const ids = results.map((r) => r.event.id);
      expect(new Set(ids).size).toBe(20);
      for (const id of ids) expect(id).toMatch(/^~[A-Za-z0-9_-]{22}$/);
      // Consecutive positions give unrelated ids: no shared prefix or suffix as a counter would
      // show (20 random ids share a 3-character start or end with odds far below 1 in 100).
      expect(new Set(ids.map((id) => id.slice(1, 4))).size).toBeGreaterThanOrEqual(18);
      expect(new Set(ids.map((id) => id.slice(-3))).size).toBeGreaterThanOrEqual(18);
      // Ids do not sort in publish order (20 ids in order by chance: 1 in 20!).
      expect([...ids].sort()).not.toEqual(ids);
      const head = await s.head();
      const resumeA = s.idAt(head);
      const resumeB = s.idAt(head);
      // Connecting twice does not tell whether anything was published in between, and a resume
      // point never equals the id of the event it follows.
      expect(resumeA).not.toBe(resumeB);
      expect(resumeA).not.toBe(ids[ids.length - 1]);
      expect(resumeA).toMatch(/^~[A-Za-z0-9_-]{28}$/);
      expect(await s.resolve(resumeA, ALL)).toEqual({ kind: 'found', pos: head });
      expect(await s.resolve(resumeB, ALL)).toEqual({ kind: 'found', pos: head });
      // The same position always has the same event id (every subscriber sees one id).
      const page = await s.readAfter('0', filter(['t']), 100);
      expect(page.events.map((e) => e.id)).toEqual(ids);
    });

    it('refuses made-up, altered or foreign generated ids as unknown', async () => {
      const s = await make();
      const other = await make();
      const [r] = await s.append([ev('t')]);
      const [foreign] = await other.append([ev('t')]);
      const id = r?.event.id as string;
      const flipped = `${id.slice(0, 5)}${id[5] === 'A' ? 'B' : 'A'}${id.slice(6)}`;
      const guesses = [
        flipped,
        `~${'A'.repeat(22)}`,
        `~${'_'.repeat(28)}`,
        foreign?.event.id as string,
        other.idAt(await other.head()),
        `${id}x`,
        'abc123.1',
      ];
      for (const g of guesses) expect(await s.resolve(g, ALL), g).toEqual({ kind: 'unknown' });
    });

    it('refuses supplied ids of the generated shapes with 400', async () => {
      const s = await make();
      const [r] = await s.append([ev('t')]);
      for (const id of [
        r?.event.id as string,
        s.idAt(await s.head()),
        `~${'x'.repeat(22)}`,
        'k3x9qa.1042',
        'k3x9qa.17-3',
      ]) {
        const err = await s.append([ev('t', {}, { id })]).catch((e: unknown) => e);
        expect((err as { status?: number }).status, id).toBe(400);
      }
      // Near misses are ordinary ids.
      const ok = await s.append([ev('t', {}, { id: `~${'x'.repeat(21)}` }), ev('t', {}, { id: 'K3X9QA.1' })]);
      expect(ok.map((x) => x.duplicate)).toEqual([false, false]);
    });

    it('forgets a supplied id with its evicted event', async () => {
      const s = await make({ retention: { maxEvents: 2 } });
      const [first] = await s.append([ev('t', { v: 1 }, { id: 'again', publisher: 'p' })]);
      await s.append([ev('t'), ev('t')]);
      expect(await s.resolve('again', filter(['t']))).toEqual({ kind: 'unknown' });
      const [second] = await s.append([ev('t', { v: 2 }, { id: 'again', publisher: 'p' })]);
      expect(second?.duplicate).toBe(false);
      expect(second?.event.pos).not.toBe(first?.event.pos);
      expect(positions(await s.resolve('again', filter(['t'])))).toEqual([second?.event.pos]);
    });

    it('reads after a position by exact topics and patterns, in order, with paging', async () => {
      const s = await make();
      const topics = ['tenant/a/leases', 'tenant/b/leases', 'tenant/a/jobs/1', 'other', 'tenant/a'];
      const all = [];
      for (let i = 0; i < 50; i++)
        all.push(...(await s.append([ev(topics[i % topics.length] as string, { i })])));
      const exact = await s.readAfter('0', filter(['other']), 100);
      expect(exact.events.map((e) => e.topic)).toEqual(Array(10).fill('other'));
      const wild = await s.readAfter('0', filter([], ['tenant/*/leases']), 100);
      expect(wild.events).toHaveLength(20);
      const deep = await s.readAfter('0', filter([], ['tenant/a/**']), 100);
      expect(new Set(deep.events.map((e) => e.topic))).toEqual(
        new Set(['tenant/a/leases', 'tenant/a/jobs/1', 'tenant/a']),
      );
      const both = await s.readAfter('0', filter(['other'], ['tenant/a/**']), 100);
      expect(both.events).toHaveLength(40);
      // Paging from the last position read yields the rest, in order, without overlap.
      const seen: string[] = [];
      let cursor = '0';
      for (;;) {
        const page = await s.readAfter(cursor, filter(['other'], ['tenant/a/**']), 7);
        for (const e of page.events) seen.push(e.id);
        if (page.events.length < 7) break;
        cursor = page.events[page.events.length - 1]?.pos as string;
      }
      expect(seen).toEqual(both.events.map((e) => e.id));
      const mid = all[24]?.event.pos as string;
      const after = await s.readAfter(mid, filter(topics), 100);
      expect(after.events.map((e) => e.id)).toEqual(all.slice(25).map((r) => r.event.id));
      expect(after.truncated).toBe(false);
    });

    it('reads nothing for topics that never had events', async () => {
      const s = await make();
      await s.append([ev('a')]);
      const r = await s.readAfter('0', filter(['nope'], ['zzz/**']), 10);
      expect(r).toEqual({ events: [], truncated: false });
    });

    it('evicts by count per topic and reports truncation only to readers who lost events', async () => {
      const s = await make({ retention: { maxEvents: 5 } });
      const busy = [];
      for (let i = 0; i < 12; i++) busy.push(...(await s.append([ev('busy', { i })])));
      const [quiet] = await s.append([ev('quiet')]);
      const kept = await s.readAfter(busy[6]?.event.pos as string, filter(['busy']), 100);
      expect(kept.truncated).toBe(false);
      expect(kept.events.map((e) => e.id)).toEqual(busy.slice(7).map((r) => r.event.id));
      const lost = await s.readAfter(busy[2]?.event.pos as string, filter(['busy']), 100);
      expect(lost.truncated).toBe(true);
      // The quiet topic lost nothing, even when resuming from an evicted busy event.
      const q = await s.readAfter(busy[0]?.event.pos as string, filter(['quiet']), 100);
      expect(q.truncated).toBe(false);
      expect(q.events.map((e) => e.id)).toEqual([quiet?.event.id]);
      const viaPattern = await s.readAfter(busy[2]?.event.pos as string, filter([], ['*']), 100);
      expect(viaPattern.truncated).toBe(true);
      // An evicted generated id still resolves to its position.
      const point = await s.resolve(busy[0]?.event.id as string, filter(['busy']));
      expect(point.kind).toBe('found');
    });

    it('applies per-topic retention rules, first match wins', async () => {
      const s = await make({ retention: { maxEvents: 100, rules: [{ pattern: 'small/**', maxEvents: 2 }] } });
      for (let i = 0; i < 5; i++) await s.append([ev('small/x'), ev('big')]);
      expect((await s.readAfter('0', filter(['small/x']), 100)).events).toHaveLength(2);
      expect((await s.readAfter('0', filter(['big']), 100)).events).toHaveLength(5);
    });

    it.skipIf(opts.injectableClock === false)('evicts by age on prune()', async () => {
      let now = 1_000_000_000_000;
      const s = await make({ retention: { maxAgeMs: 60_000 }, now: () => now });
      const [old] = await s.append([ev('t', {}, { ts: now - 120_000 })]);
      const [fresh] = await s.append([ev('t', {}, { ts: now - 1_000 })]);
      now += 1;
      await s.prune();
      const page = await s.readAfter('0', filter(['t']), 10);
      expect(page.events.map((e) => e.id)).toEqual([fresh?.event.id]);
      expect(page.truncated).toBe(true);
      const fromOld = await s.readAfter(old?.event.pos as string, filter(['t']), 10);
      expect(fromOld.truncated).toBe(false);
    });

    it('answers a read from the head at once, whatever the patterns', async () => {
      const s = await make({ retention: { maxEvents: 1 } });
      for (let i = 0; i < 3; i++) await s.append([ev(`h/${i}`), ev(`h/${i}`)]);
      const head = await s.head();
      const r = await s.readAfter(head, filter(['h/0'], ['**', '*/1', 'h/**']), 10);
      expect(r).toEqual({ events: [], truncated: false });
    });

    it('reads the same events through a leading wildcard as through the exact topics', async () => {
      const s = await make();
      const topics: string[] = [];
      for (let i = 0; i < 300; i++) topics.push(`room${i}/x`, `room${i}/y`);
      const appended = await s.append(topics.map((t) => ev(t)));
      const from = appended[99]?.event.pos as string;
      const viaPattern = await s.readAfter(from, filter([], ['*/x']), 1000);
      const wanted = appended.slice(100).filter((r) => r.event.topic.endsWith('/x'));
      expect(viaPattern.events.map((e) => e.id)).toEqual(wanted.map((r) => r.event.id));
      expect(viaPattern.truncated).toBe(false);
      const deep = await s.readAfter(from, filter(['room1/y'], ['room2/**', '**']), 7);
      expect(deep.events.map((e) => e.id)).toEqual(appended.slice(100, 107).map((r) => r.event.id));
    });

    it('reports truncation through a leading wildcard only to readers who lost a matching event', async () => {
      const s = await make({ retention: { maxEvents: 2 } });
      const quiet = await s.append([ev('a/quiet')]);
      const busy = [];
      for (let i = 0; i < 5; i++) busy.push(...(await s.append([ev('b/busy')])));
      const from = quiet[0]?.event.pos as string;
      expect((await s.readAfter(from, filter([], ['*/busy']), 100)).truncated).toBe(true);
      expect((await s.readAfter(from, filter([], ['*/quiet']), 100)).truncated).toBe(false);
      expect((await s.readAfter(from, filter([], ['a/**']), 100)).truncated).toBe(false);
      expect((await s.readAfter(from, filter([], ['**']), 100)).truncated).toBe(true);
      const late = busy[2]?.event.pos as string;
      expect((await s.readAfter(late, filter([], ['**']), 100)).truncated).toBe(false);
    });

    it.skipIf(opts.injectableClock === false)(
      'prunes topics whose history expired, and still tells readers from before that they lost events',
      async () => {
        let now = 1_000_000_000_000;
        const s = await make({ retention: { maxAgeMs: 60_000 }, now: () => now });
        const start = await s.head();
        const gone = [];
        for (let i = 0; i < 50; i++) gone.push(...(await s.append([ev(`temp/${i}`, {}, { ts: now })])));
        const [kept] = await s.append([ev('keep', {}, { ts: now + 100_000 })]);
        now += 120_000;
        await s.prune();
        if (s.countTopics) expect(await s.countTopics()).toBe(1);
        // A reader from before the expired events lost them, by exact topic and by pattern.
        expect((await s.readAfter(start, filter(['temp/3']), 10)).truncated).toBe(true);
        expect((await s.readAfter(start, filter([], ['temp/*']), 10)).truncated).toBe(true);
        const all = await s.readAfter(start, filter([], ['**']), 10);
        expect(all.truncated).toBe(true);
        expect(all.events.map((e) => e.id)).toEqual([kept?.event.id]);
        // A reader who had them all did not.
        const last = gone[gone.length - 1]?.event.pos as string;
        const fromLast = await s.readAfter(last, filter(['temp/3'], ['**']), 10);
        expect(fromLast).toEqual({
          events: [expect.objectContaining({ id: kept?.event.id })],
          truncated: false,
        });
        // A pruned topic published to again starts afresh.
        const [again] = await s.append([ev('temp/3', {}, { ts: now })]);
        const fresh = await s.readAfter(kept?.event.pos as string, filter(['temp/3']), 10);
        expect(fresh).toEqual({
          events: [expect.objectContaining({ id: again?.event.id })],
          truncated: false,
        });
        if (s.countTopics) expect(await s.countTopics()).toBe(2);
      },
    );

    it.skipIf(opts.injectableClock === false)(
      'keeps topics that still have history when pruning',
      async () => {
        let now = 1_000_000_000_000;
        const s = await make({ retention: { maxAgeMs: 60_000 }, now: () => now });
        await s.append([ev('mixed', {}, { ts: now - 120_000 })]);
        const [young] = await s.append([ev('mixed', {}, { ts: now })]);
        now += 1;
        await s.prune();
        if (s.countTopics) expect(await s.countTopics()).toBe(1);
        expect((await s.readAfter('0', filter([], ['*']), 10)).events.map((e) => e.id)).toEqual([
          young?.event.id,
        ]);
      },
    );

    it('rejects every call after close', async () => {
      const s = await opts.create({});
      await s.close();
      await expect(s.append([ev('t')])).rejects.toThrow();
    });

    it.skipIf(!opts.reopen)('keeps history, positions and idempotency across a reopen', async () => {
      const s = await opts.create({});
      const before = await s.append([ev('d', { a: 1 }), ev('d', { b: 2 }, { id: 'sup-1', publisher: 'p' })]);
      const resume = s.idAt(before[1]?.event.pos as string);
      const reopened = await (opts.reopen as NonNullable<StoreSuiteOptions['reopen']>)(s);
      open.push(reopened);
      const point = await reopened.resolve(before[0]?.event.id as string, filter(['d']));
      expect(point).toEqual({ kind: 'found', pos: before[0]?.event.pos });
      expect(await reopened.resolve(resume, filter(['d']))).toEqual({
        kind: 'found',
        pos: before[1]?.event.pos,
      });
      const page = await reopened.readAfter(before[0]?.event.pos as string, filter(['d']), 10);
      expect(page.events.map((e) => e.id)).toEqual(['sup-1']);
      expect(positions(await reopened.resolve('sup-1', filter(['d'])))).toEqual([before[1]?.event.pos]);
      const [dup] = await reopened.append([ev('d', {}, { id: 'sup-1', publisher: 'p' })]);
      expect(dup?.duplicate).toBe(true);
      const [otherPublisher] = await reopened.append([ev('d', {}, { id: 'sup-1', publisher: 'q' })]);
      expect(otherPublisher?.duplicate).toBe(false);
      const [next] = await reopened.append([ev('d')]);
      expect(comparePositions(next?.event.pos as string, before[1]?.event.pos as string)).toBeGreaterThan(0);
    });
  });
}
