import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type RuntimeName, runScript, runtimeBinary, scriptArgs } from './runtimes.js';

interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: string;
}
interface SuiteRun {
  runtime: RuntimeName;
  driver: string;
  results: CaseResult[];
}

const dir = mkdtempSync(join(tmpdir(), 'tidings-runtimes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the driver, store and revocation conformance suites under `runtime`, on its embedded driver. */
async function suitesUnder(runtime: RuntimeName, bin: string): Promise<SuiteRun> {
  const files = mkdtempSync(join(dir, `${runtime}-`));
  const r = await runScript(bin, scriptArgs(runtime, 'store-suites.mjs', [files]), 120_000);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{')) {
    throw new Error(`The suites did not run under ${runtime} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(line) as SuiteRun;
}

/** The cases as Node runs them through the same runner: the list every runtime must match. */
let reference: SuiteRun;
beforeAll(async () => {
  assertBuilt();
  reference = await suitesUnder('node', process.execPath);
}, 120_000);

it('runs every driver, store and revocation conformance case on Node through the runner, all passing', () => {
  expect(reference.driver).toBe('better-sqlite3');
  // The driver, store and revocation suites, every case enabled (reopen and clock given).
  expect(
    reference.results.filter((c) => c.name.startsWith('HistoryStore conformance')).length,
  ).toBeGreaterThan(20);
  expect(
    reference.results.filter((c) => c.name.startsWith('RevocationStore conformance')).length,
  ).toBeGreaterThan(5);
  expect(reference.results.filter((c) => c.status !== 'passed')).toEqual([]);
});

const drivers = { bun: 'bun:sqlite', deno: 'node:sqlite' } as const;

for (const runtime of ['bun', 'deno'] as const) {
  const bin = await runtimeBinary(runtime, import.meta.filename ?? __filename);
  describe.skipIf(!bin)(`the embedded store under ${runtime}`, () => {
    it(`passes every conformance case on ${drivers[runtime]}`, async () => {
      const run = await suitesUnder(runtime, bin as string);
      expect(run.runtime).toBe(runtime);
      expect(run.driver).toBe(drivers[runtime]);
      expect(run.results.filter((c) => c.status !== 'passed')).toEqual([]);
      expect(run.results.map((c) => c.name)).toEqual(reference.results.map((c) => c.name));
    }, 120_000);
  });
}
