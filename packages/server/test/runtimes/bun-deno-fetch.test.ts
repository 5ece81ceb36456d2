import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, here, runScript, runtimeBinary } from './runtimes.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-fetch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(assertBuilt);

interface SmokeRun {
  runtime: string;
  store?: string;
  error?: string;
  frame?: { id?: string; event?: string; data?: string };
  published?: string;
}

for (const runtime of ['bun', 'deno'] as const) {
  const bin = await runtimeBinary(runtime, import.meta.filename ?? __filename);
  describe.skipIf(!bin)(`hub.fetch under ${runtime}`, () => {
    for (const store of ['memory', 'default'] as const) {
      it(`serves an SSE stream that receives one published event (${store} store)`, async () => {
        const cwd = mkdtempSync(join(dir, `${runtime}-${store}-`));
        const script = here('./fetch-smoke.mjs');
        const args = runtime === 'deno' ? ['run', '-A', script, store] : [script, store];
        const r = await runScript(bin as string, args, 30_000, cwd);
        const line = r.stdout.trim().split('\n').pop() ?? '';
        expect(
          line.startsWith('{'),
          `${runtime} printed no result (exit ${r.code}):\n${r.stdout}\n${r.stderr}`,
        ).toBe(true);
        const run = JSON.parse(line) as SmokeRun;
        expect(run.error).toBeUndefined();
        expect(r.code).toBe(0);
        expect(run.runtime).toBe(runtime);
        // createHub's default is the embedded SQLite history, here on the runtime's own binding.
        expect(run.store).toBe(store === 'default' ? 'sqlite' : 'memory');
        if (store === 'default') expect(existsSync(join(cwd, '.tidings', 'history.db'))).toBe(true);
        expect(run.frame?.event).toBe('greeting');
        expect(run.frame?.id).toBe(run.published);
        expect(JSON.parse(run.frame?.data ?? '{}')).toMatchObject({
          topic: 'smoke',
          data: { hello: runtime },
        });
      }, 60_000);
    }
  });
}
