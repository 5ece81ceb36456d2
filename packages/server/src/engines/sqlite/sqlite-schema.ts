import { embeddedSqliteDriver } from './embedded-sqlite-driver.js';
import type { SqliteConnection, SqliteDriver } from './sqlite-driver.js';
import { ensureDirectoryOf } from './sqlite-file.js';

/**
 * `id` holds supplied ids only (a generated id is computed from `pos`), `publisher` the key that
 * scopes it: the unique index makes an id idempotent per (topic, id, publisher), and serves
 * resume lookups by (topic, id) for the topics a stream covers.
 */
const EVENTS_TABLE = `(
  pos       INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT,
  publisher TEXT,
  topic     TEXT NOT NULL,
  type      TEXT NOT NULL,
  ts        INTEGER NOT NULL,
  data      TEXT NOT NULL,
  meta      TEXT
)`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events ${EVENTS_TABLE};
CREATE INDEX IF NOT EXISTS events_topic_pos ON events(topic, pos);
CREATE UNIQUE INDEX IF NOT EXISTS events_topic_id ON events(topic, id, publisher) WHERE id IS NOT NULL;
CREATE TABLE IF NOT EXISTS topics (
  topic           TEXT PRIMARY KEY,
  count           INTEGER NOT NULL,
  evicted_through INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS topics_evicted ON topics(evicted_through, topic);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * Rebuilds the events table of a file written before supplied ids were scoped per publisher and
 * topic: that one had `id TEXT UNIQUE` (one id across the whole hub, which let anyone read or
 * pre-empt another's event by its id) and stored the old `<epoch>.<pos>` generated ids. Supplied
 * ids keep resuming; their publisher is unknown, so they no longer de-duplicate. Positions and
 * the autoincrement counter are kept. Runs once, in one transaction.
 */
function migrateGlobalIds(db: SqliteConnection): void {
  const cols = db.prepare('PRAGMA table_info(events)').all() as Array<{ name: string }>;
  if (cols.length === 0 || cols.some((c) => c.name === 'publisher')) return;
  db.transaction(() => {
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).get() as
      | { seq: number }
      | undefined;
    db.exec(`
      CREATE TABLE events_scoped ${EVENTS_TABLE};
      INSERT INTO events_scoped(pos, id, publisher, topic, type, ts, data, meta)
        SELECT pos,
               CASE WHEN id GLOB '[0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z].[0-9]*' THEN NULL ELSE id END,
               NULL, topic, type, ts, data, meta
        FROM events;
      DROP TABLE events;
      ALTER TABLE events_scoped RENAME TO events;
    `);
    if (seq) {
      db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'events'`).run();
      db.prepare(`INSERT INTO sqlite_sequence(name, seq) VALUES ('events', ?)`).run(seq.seq);
    }
  })();
}

/**
 * Opens the history file (creating its directory), in WAL mode at the durability asked for,
 * migrated and with its schema in place. Any failure becomes one error that says what to do.
 */
export function openHistoryDatabase(options: {
  path: string;
  durability?: 'process' | 'power' | undefined;
  driver?: SqliteDriver | undefined;
}): SqliteConnection {
  try {
    ensureDirectoryOf(options.path);
    const db = (options.driver ?? embeddedSqliteDriver()).open(options.path);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
    db.exec('PRAGMA busy_timeout = 5000');
    migrateGlobalIds(db);
    db.exec(SCHEMA);
    return db;
  } catch (e) {
    throw new Error(
      `Cannot open the SQLite history at "${options.path}": ${(e as Error).message}. Check that the directory is writable, or keep history in memory (--memory).`,
      { cause: e },
    );
  }
}
