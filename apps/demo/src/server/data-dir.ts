/** The demo's data directory: the hub's history, the app database and the shared token secret. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the HS256 secret shared by the backend (which signs tokens) and the hub (which verifies
 * them), creating it on first start, so hub and backend agree whether they run in one process
 * or two.
 */
export function loadSecret(dataDir: string): Uint8Array {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // The other process (hub or backend) created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/** The key the backend publishes with, derived from the same file so both sides know it. */
export function publisherKey(secret: Uint8Array): string {
  return `demo-publisher-${Buffer.from(secret).toString('base64url')}`;
}
