import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStore } from '@tidings/server';
import { runStoreSuite } from '@tidings/server/testing';
import { afterAll, expect, it } from 'vitest';
import { streamOneEvent } from '../smoke.js';
import { start } from './app.js';
import { AuditedStore } from './audited-store.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The conformance suite every store passes: the wrapper keeps the inner store's guarantees.
runStoreSuite({
  name: 'AuditedStore over memoryStore',
  create: ({ retention, now }) =>
    new AuditedStore(
      memoryStore({ ...(retention && { retention }), ...(now && { now }) }),
      join(dir, 'suite.jsonl'),
    ),
});

it('streams one event through the example and audits it', async () => {
  const file = join(dir, 'audit.jsonl');
  const app = await start(file);
  try {
    await streamOneEvent(app.url);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toMatchObject([{ topic: 'smoke', type: 'ping' }]);
  } finally {
    await app.close();
  }
});
