import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRevocationSuite } from '../testing/revocation-suite.js';
import { MemoryRevocations } from './memory/memory-revocations.js';
import { SqliteRevocations } from './sqlite/sqlite-revocations.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-revocations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const paths = new WeakMap<object, string>();

runRevocationSuite({ name: 'memory', create: (now) => new MemoryRevocations({ now }) });

runRevocationSuite({
  name: 'sqlite',
  create(now) {
    const path = join(dir, `r${++n}.db`);
    const s = new SqliteRevocations({ path, now });
    paths.set(s, path);
    return s;
  },
  async reopen(store) {
    const path = paths.get(store) as string;
    await store.close?.();
    return new SqliteRevocations({ path });
  },
});

describe('MemoryRevocations', () => {
  it('drops expired entries as it grows, so memory follows the revocations in force', async () => {
    let t = 0;
    const s = new MemoryRevocations({ now: () => t });
    for (let i = 0; i < 5000; i++) await s.revoke(`k${i}`, t + 10);
    t = 100;
    for (let i = 0; i < 4000; i++) await s.revoke(`live${i}`, t + 10);
    expect(s.size).toBeLessThanOrEqual(4000);
    expect(await s.isRevoked('live1')).toBe(true);
  });
});
