import { afterEach, describe } from 'vitest';
import type { HistoryStore, RetentionOptions } from '../engines/history-store.js';
import { appendCases } from './store-suite-appends.js';
import type { StoreSuiteOptions } from './store-suite-helpers.js';
import { idCases } from './store-suite-ids.js';
import { lifecycleCases } from './store-suite-lifecycle.js';
import { readCases } from './store-suite-reads.js';

export type { StoreSuiteOptions } from './store-suite-helpers.js';

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

    const context = { opts, open, make };
    appendCases(context);
    idCases(context);
    readCases(context);
    lifecycleCases(context);
  });
}
