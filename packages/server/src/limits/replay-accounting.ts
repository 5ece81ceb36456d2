import type { StoredEvent } from '../core/stored-event.js';
import type { HistoryStore } from '../engines/history-store.js';
import type { MemoryAccountant } from './memory-accountant.js';

/** Bytes held per event besides its payload: the object, its strings, its encoded frame. */
const EVENT_OVERHEAD = 256;

function eventBytes(ev: StoredEvent): number {
  return ev.dataJson.length * 2 + ev.topic.length + ev.id.length + EVENT_OVERHEAD;
}

/**
 * How many replays of each accountant hold each event. Replays of the same history often hold
 * the same event objects (a store answers a repeated read with the same events, as SQLite does
 * during a reconnect storm): an event is counted once, however many replays hold it.
 */
const holders = new WeakMap<MemoryAccountant, WeakMap<StoredEvent, number>>();

function holdersOf(accountant: MemoryAccountant): WeakMap<StoredEvent, number> {
  let h = holders.get(accountant);
  if (!h) {
    h = new WeakMap();
    holders.set(accountant, h);
  }
  return h;
}

function take(accountant: MemoryAccountant, events: readonly StoredEvent[]): void {
  const h = holdersOf(accountant);
  let bytes = 0;
  for (const ev of events) {
    const n = h.get(ev) ?? 0;
    h.set(ev, n + 1);
    if (n === 0) bytes += eventBytes(ev);
  }
  accountant.adjust('replay', bytes);
}

function give(accountant: MemoryAccountant, events: readonly StoredEvent[]): void {
  const h = holdersOf(accountant);
  let bytes = 0;
  for (const ev of events) {
    const n = (h.get(ev) ?? 1) - 1;
    if (n <= 0) {
      h.delete(ev);
      bytes += eventBytes(ev);
    } else h.set(ev, n);
  }
  accountant.adjust('replay', -bytes);
}

/**
 * The store as one replay sees it, with its pages counted by the {@link MemoryAccountant}: a page
 * is held from the moment it is read until the replay asks for the next one or `done()` is
 * called (a replay writes one page before it reads another). An event several replays hold at
 * once counts once.
 */
export function accountedReads(
  store: HistoryStore,
  accountant: MemoryAccountant,
): { readonly store: HistoryStore; done(): void } {
  let held: readonly StoredEvent[] = [];
  const release = (): void => {
    give(accountant, held);
    held = [];
  };
  const readAfter: HistoryStore['readAfter'] = async (after, filter, limit) => {
    release();
    const page = await store.readAfter(after, filter, limit);
    held = page.events;
    take(accountant, held);
    return page;
  };
  // Every other member is the store's own, called on the store itself (a method that assigns
  // to a field must not write it onto the view).
  const view = new Proxy(store, {
    get(target, prop) {
      if (prop === 'readAfter') return readAfter;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store: view, done: release };
}
