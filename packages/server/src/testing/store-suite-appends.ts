import { comparePositions } from '@tidings/protocol';
import { expect, it } from 'vitest';
import { ALL, ev, filter, type StoreSuiteContext, seen } from './store-suite-helpers.js';

/** Positions, ids, payloads and idempotency of appends. */
export function appendCases({ make }: StoreSuiteContext): void {
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
}
