import type { Parameters } from 'fast-check';

/**
 * Whether this is the long fuzz run (`npm run fuzz`) rather than the slice in `npm test`.
 * @defaultValue false (the slice)
 */
export const LONG_FUZZ = process.env.TIDINGS_FUZZ === '1';

/**
 * fast-check parameters for a fuzz property. In `npm test` each property runs `runs` times from a
 * fixed seed, so the slice adds seconds and fails the same way every time. Under `npm run fuzz`
 * (`TIDINGS_FUZZ=1`) it runs `TIDINGS_FUZZ_RUNS` times (default 20,000) times `scale` (for
 * properties slower or faster than the norm), from a fresh seed that a failure prints.
 */
export function fuzzParams<T>(runs: number, scale = 1): Parameters<T> {
  if (!LONG_FUZZ) return { numRuns: runs, seed: 17 };
  const base = Number(process.env.TIDINGS_FUZZ_RUNS ?? 20_000);
  return { numRuns: Math.max(1, Math.round(base * scale)) };
}
