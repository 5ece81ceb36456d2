import type BetterSqlite3 from 'better-sqlite3';
import { builtinModule } from '../builtin-module.js';
import type { SqliteConnection, SqliteDriver } from './sqlite-driver.js';

let Database: typeof BetterSqlite3 | undefined;

/** Loads the native addon on first use only, so importing the stores loads no addon. */
function load(): typeof BetterSqlite3 {
  const { createRequire } = builtinModule<typeof import('node:module')>('node:module', 'better-sqlite3');
  return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
}

/**
 * The `better-sqlite3` binding, Node's embedded default. Its connections and statements are
 * handed to the stores as they are, so the driver adds no call on the publish path.
 */
export const betterSqlite3Driver: SqliteDriver = {
  name: 'better-sqlite3',
  open(path: string): SqliteConnection {
    Database ??= load();
    return new Database(path, { timeout: 5000 }) as unknown as SqliteConnection;
  },
};
