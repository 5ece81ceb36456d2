import { describe, expect, it } from 'vitest';
import { parseDuration } from './parse-values.js';
import { UsageError } from './usage-error.js';

function refusal(flag: string, value: string): string {
  try {
    parseDuration(flag, value);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`--${flag} ${value} was accepted`);
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['1.5s', 1_500],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    [' 30s ', 30_000],
  ])('reads %j as %i ms', (value, ms) => {
    expect(parseDuration('heartbeat', value)).toBe(ms);
  });

  it.each([
    ['5', '--retention-age 5 is ambiguous: write 5s, 5m or 5ms (a duration needs a unit: ms, s, m, h or d).'],
    [
      '1.5',
      '--retention-age 1.5 is ambiguous: write 1.5s, 1.5m or 1.5ms (a duration needs a unit: ms, s, m, h or d).',
    ],
    [
      '86400000',
      '--retention-age 86400000 is ambiguous: write 86400000s, 86400000m or 86400000ms (a duration needs a unit: ms, s, m, h or d).',
    ],
  ])('refuses the bare number %j as ambiguous', (value, message) => {
    expect(refusal('retention-age', value)).toBe(message);
  });

  it.each(['0', '0s', '0ms', '0.4ms'])(
    'refuses %j: every duration flag must be longer than zero',
    (value) => {
      expect(refusal('slow-grace', value)).toBe(
        `--slow-grace must be longer than zero, e.g. 1s; got "${value}".`,
      );
    },
  );

  it.each(['soon', '5 s', '5S', '5min', '-5s', '', '1e3s'])('refuses %j with the units it takes', (value) => {
    expect(refusal('retry', value)).toBe(
      `--retry takes a duration with a unit (ms, s, m, h or d) such as 500ms, 15s, 10m or 24h; got "${value}".`,
    );
  });
});
