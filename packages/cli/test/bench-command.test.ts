// `tidings bench` delegates to the @tidings/bench workspace; a bad command line must stop before
// any server or load generator starts, with exit code 2 and a sentence saying what to do.
import { describe, expect, it } from 'vitest';
import { run } from './spawn-cli.js';

describe('tidings bench command line', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--duration', '0'], /--duration takes a whole number from 1 to 600; got "0"\./],
    [['--duration', '2s'], /--duration takes a whole number from 1 to 600; got "2s"\./],
    [['--subscribers', '50000'], /--subscribers takes a whole number from 1 to 18000; got "50000"\./],
    [
      ['--scenarios', 'fanout-1k,fanuot-10k'],
      /--scenarios: "fanuot-10k" is not one of fanout-1k, .*Check the spelling\./,
    ],
    [
      ['--servers', 'tidings,mercure'],
      /--servers: "mercure" is not one of tidings, nchan, naive, better-sse\./,
    ],
    [['--servers', ','], /--servers needs at least one name, such as tidings\./],
    [['--source-addresses', '300'], /--source-addresses takes a whole number from 1 to 254/],
    [['--bogus'], /Unknown option --bogus\. Run with --help to see the options\./],
    [['--duration'], /--duration.*argument missing.*Run with --help/],
    [['fast'], /takes no arguments, got "fast"\. Run with --help\./],
  ];
  for (const [args, message] of cases) {
    it(`rejects ${args.join(' ')} with exit code 2`, async () => {
      const r = await run(['bench', ...args]);
      expect(r.stderr).toMatch(/^tidings bench: /);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    });
  }

  it('prints its options with --help and exits 0', async () => {
    const r = await run(['bench', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--quick');
    expect(r.stdout).toContain('reconnect-storm');
  });

  it('is listed in the top-level usage', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toMatch(/bench +Benchmark the hub against peers/);
  });
});
