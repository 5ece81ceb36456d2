import { expect, it } from 'vitest';
import { ALL, ev, filter, positions, type StoreSuiteContext, seen } from './store-suite-helpers.js';

/** Supplied ids scoped to their publisher and topic; generated ids opaque and unforgeable. */
export function idCases({ make }: StoreSuiteContext): void {
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
    const [theirs] = await s.append([ev('tenant/a/orders', { v: 'b' }, { id: 'order:1', publisher: 'bob' })]);
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
}
