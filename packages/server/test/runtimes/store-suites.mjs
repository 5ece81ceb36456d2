// Runs the SQLite driver, store and revocation conformance suites on the runtime executing this script (Bun or
// Deno, or Node), against that runtime's embedded SQLite driver, on files in the directory given
// as the first argument. Prints one JSON line: { runtime, driver, results: [{ name, status, error? }] }.
// `vitest` resolves to ./vitest-shim.mjs (Deno: ./deno.json's import map; Bun: ./bun-vitest-alias.mjs).
import { join } from 'node:path';
import {
  loadEmbeddedRevocations,
  loadEmbeddedSqliteDriver,
  loadEmbeddedStore,
} from '../../dist/engines/embedded-store.js';
import { currentRuntime } from '../../dist/engines/sqlite/runtime.js';
import { runRevocationSuite } from '../../dist/testing/revocation-suite.js';
import { runSqliteDriverSuite } from '../../dist/testing/sqlite-driver-suite.js';
import { runStoreSuite } from '../../dist/testing/store-suite.js';
import { runRegistered } from './vitest-shim.mjs';

const dir = process.argv[2] ?? (typeof Deno !== 'undefined' ? Deno.args[0] : undefined);
if (!dir) throw new Error('Give the directory for the database files as the first argument.');

let n = 0;
const driver = await loadEmbeddedSqliteDriver();

runSqliteDriverSuite({ name: 'embedded', driver, file: () => join(dir, `d${++n}.db`) });
const storePaths = new WeakMap();
const revocationPaths = new WeakMap();

runStoreSuite({
  name: 'embedded',
  async create(o) {
    const path = join(dir, `s${++n}.db`);
    const store = await loadEmbeddedStore({ path, ...o });
    storePaths.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = storePaths.get(store);
    await store.close();
    const again = await loadEmbeddedStore({ path });
    storePaths.set(again, path);
    return again;
  },
});

runRevocationSuite({
  name: 'embedded',
  async create(now) {
    const path = join(dir, `r${++n}.db`);
    const store = await loadEmbeddedRevocations({ path, now });
    revocationPaths.set(store, path);
    return store;
  },
  async reopen(store) {
    const path = revocationPaths.get(store);
    await store.close?.();
    const again = await loadEmbeddedRevocations({ path });
    revocationPaths.set(again, path);
    return again;
  },
});

const results = await runRegistered();
console.log(JSON.stringify({ runtime: currentRuntime(), driver: driver.name, results }));
