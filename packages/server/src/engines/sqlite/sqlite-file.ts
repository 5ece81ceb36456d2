import { builtinModule } from '../builtin-module.js';

/** Creates the directory of a database file if it is missing (nothing for `":memory:"`). */
export function ensureDirectoryOf(path: string): void {
  if (path === ':memory:') return;
  const { mkdirSync } = builtinModule<typeof import('node:fs')>('node:fs', 'A SQLite file');
  const { dirname } = builtinModule<typeof import('node:path')>('node:path', 'A SQLite file');
  mkdirSync(dirname(path), { recursive: true });
}
