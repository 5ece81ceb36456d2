import { describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchOptions, SCENARIO_IDS, SERVER_NAMES } from './bench-options.js';

describe('parseBenchOptions', () => {
  it('runs everything at the issue sizes by default, pinned', () => {
    const o = parseBenchOptions([]);
    expect(o).toMatchObject({
      quick: false,
      durationS: 10,
      subscribers: 10_000,
      pin: true,
      payloadBytes: 100,
    });
    expect(o.scenarios).toEqual([...SCENARIO_IDS]);
    expect(o.servers).toEqual([...SERVER_NAMES]);
  });

  it('shrinks sizes and phases with --quick, and explicit flags still win', () => {
    expect(parseBenchOptions(['--quick'])).toMatchObject({ durationS: 2, subscribers: 500 });
    expect(parseBenchOptions(['--quick', '--duration', '5'])).toMatchObject({
      durationS: 5,
      subscribers: 500,
    });
  });

  it('takes lists and rejects unknown names with a sentence', () => {
    expect(parseBenchOptions(['--servers', 'tidings, nchan']).servers).toEqual(['tidings', 'nchan']);
    expect(() => parseBenchOptions(['--scenarios', 'fanout'])).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(['--scenarios', 'fanout'])).toThrow(
      /"fanout" is not one of .*Check the spelling\./,
    );
  });
});
