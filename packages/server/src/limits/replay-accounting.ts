import type { HistoryStore, ReadResult } from '../stores/history-store.js';
import type { MemoryAccountant } from './memory-accountant.js';

/** Bytes held per event besides its payload: the object, its strings, its encoded frame. */
const EVENT_OVERHEAD = 256;

function pageBytes(page: ReadResult): number {
  let n = 0;
  for (const ev of page.events) n += ev.dataJson.length * 2 + ev.topic.length + ev.id.length + EVENT_OVERHEAD;
  return n;
}

/**
 * The store as one replay sees it, with its pages counted by the {@link MemoryAccountant}: a page
 * is held from the moment it is read until the replay asks for the next one or `done()` is
 * called (a replay writes one page before it reads another).
 */
export function accountedReads(
  store: HistoryStore,
  accountant: MemoryAccountant,
): { readonly store: HistoryStore; done(): void } {
  let release = (): void => {};
  const readAfter: HistoryStore['readAfter'] = async (after, filter, limit) => {
    release();
    const page = await store.readAfter(after, filter, limit);
    release = accountant.reserve('replay', pageBytes(page));
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
  return {
    store: view,
    done: () => release(),
  };
}
