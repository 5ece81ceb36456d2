import type { RevocationStore } from './engine.js';
import type { HistoryStore } from './history-store.js';
import { currentRuntime } from './sqlite/runtime.js';
import type { SqliteDriver } from './sqlite/sqlite-driver.js';
import type { SqliteRevocationsOptions } from './sqlite/sqlite-revocations.js';
import type { SqliteStoreOptions } from './sqlite/sqlite-store.js';

/**
 * Imports the SQLite driver of the current runtime, and only that one: `better-sqlite3` on
 * Node, `bun:sqlite` on Bun, `node:sqlite` on Deno.
 */
export async function loadEmbeddedSqliteDriver(): Promise<SqliteDriver> {
  switch (currentRuntime()) {
    case 'bun':
      return (await import('./sqlite/bun-sqlite-driver.js')).bunSqliteDriver;
    case 'deno':
      return (await import('./sqlite/node-sqlite-driver.js')).nodeSqliteDriver;
    default:
      return (await import('./sqlite/better-sqlite3-driver.js')).betterSqlite3Driver;
  }
}

/**
 * Opens the embedded durable history of the current runtime: a {@link SqliteStore} at
 * `options.path` over the runtime's own SQLite binding (unless `options.driver` names one).
 * The store and its driver are imported on call, so importing this module loads no SQLite code
 * and no native addon.
 * @see SqliteStoreOptions
 */
export async function loadEmbeddedStore(options: SqliteStoreOptions): Promise<HistoryStore> {
  const [{ SqliteStore }, driver] = await Promise.all([
    import('./sqlite/sqlite-store.js'),
    options.driver ?? loadEmbeddedSqliteDriver(),
  ]);
  return new SqliteStore({ ...options, driver });
}

/**
 * Opens durable revocations at `options.path` over the current runtime's SQLite binding, as
 * {@link loadEmbeddedStore} does for history.
 * @see SqliteRevocations
 */
export async function loadEmbeddedRevocations(options: SqliteRevocationsOptions): Promise<RevocationStore> {
  const [{ SqliteRevocations }, driver] = await Promise.all([
    import('./sqlite/sqlite-revocations.js'),
    options.driver ?? loadEmbeddedSqliteDriver(),
  ]);
  return new SqliteRevocations({ ...options, driver });
}
