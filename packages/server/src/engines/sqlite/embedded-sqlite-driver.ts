import { betterSqlite3Driver } from './better-sqlite3-driver.js';
import { bunSqliteDriver } from './bun-sqlite-driver.js';
import { nodeSqliteDriver } from './node-sqlite-driver.js';
import { currentRuntime, type Runtime } from './runtime.js';
import type { SqliteDriver } from './sqlite-driver.js';

/**
 * The SQLite binding a runtime ships: `better-sqlite3` on Node, `bun:sqlite` on Bun,
 * `node:sqlite` on Deno. Nothing is loaded until a file is opened.
 * @param runtime - The runtime to pick for. @defaultValue the current one
 * @see loadEmbeddedStore, which imports only the driver it uses
 */
export function embeddedSqliteDriver(runtime: Runtime = currentRuntime()): SqliteDriver {
  if (runtime === 'bun') return bunSqliteDriver;
  if (runtime === 'deno') return nodeSqliteDriver;
  return betterSqlite3Driver;
}
