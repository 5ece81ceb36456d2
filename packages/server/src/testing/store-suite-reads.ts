import { expect, it } from 'vitest';
import { ev, filter, type StoreSuiteContext } from './store-suite-helpers.js';

/** Reads by topics and patterns, count retention and the truncation it reports. */
export function readCases({ opts, make }: StoreSuiteContext): void {
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
}
