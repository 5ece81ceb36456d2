import { comparePositions } from '@tidings/protocol';
import { expect, it } from 'vitest';
import {
  ev,
  filter,
  positions,
  type StoreSuiteContext,
  type StoreSuiteOptions,
} from './store-suite-helpers.js';

/** Age retention, close and reopen. */
export function lifecycleCases({ opts, open, make }: StoreSuiteContext): void {
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

  it.skipIf(opts.injectableClock === false)('keeps topics that still have history when pruning', async () => {
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
  });

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
}
