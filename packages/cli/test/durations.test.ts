import { describe, expect, it } from 'vitest';
import { SERVE_DURATION_FLAGS } from '../src/commands/serve-flags.js';
import { run } from './spawn-cli.js';

const ambiguous = (flag: string) =>
  `--${flag} 5 is ambiguous: write 5s, 5m or 5ms (a duration needs a unit: ms, s, m, h or d).\n`;

describe('duration flags need a unit', () => {
  it('covers every duration flag of tidings serve', () => {
    expect([...SERVE_DURATION_FLAGS].sort()).toEqual(
      [
        'first-byte-timeout',
        'headers-timeout',
        'heartbeat',
        'max-token-lifetime',
        'mercure-subscriptions-refresh',
        'presence-ttl',
        'retention-age',
        'retry',
        'slow-grace',
      ].sort(),
    );
  });

  // Refused before anything starts: no hub listens, whatever the other flags (even without --dev).
  it.each(SERVE_DURATION_FLAGS)('tidings serve --%s 5 exits 2 with a sentence', async (flag) => {
    const r = await run(['serve', '--memory', '--port', '0', `--${flag}`, '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tidings serve: ${ambiguous(flag)}`);
    expect(r.stdout).toBe('');
  });

  it('refuses a bare number in the primary of --workers too, before forking', async () => {
    const r = await run(['serve', '--dev', '--memory', '--port', '0', '--workers', '2', '--heartbeat', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tidings serve: ${ambiguous('heartbeat')}`);
  });

  it('tidings top --interval 5 exits 2 with a sentence, before asking for a token', async () => {
    const r = await run(['top', '--interval', '5'], { env: { TIDINGS_ADMIN_TOKEN: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tidings top: ${ambiguous('interval')}`);
  });

  it('refuses zero with or without a unit, and an unknown unit', async () => {
    const zero = await run(['serve', '--dev', '--memory', '--port', '0', '--retry', '0']);
    expect([zero.code, zero.stderr]).toEqual([
      2,
      'tidings serve: --retry must be longer than zero, e.g. 1s; got "0".\n',
    ]);
    const unit = await run(['serve', '--dev', '--memory', '--port', '0', '--retention-age', '7days']);
    expect([unit.code, unit.stderr]).toEqual([
      2,
      'tidings serve: --retention-age takes a duration with a unit (ms, s, m, h or d) such as 500ms, 15s, 10m or 24h; got "7days".\n',
    ]);
  });
});
