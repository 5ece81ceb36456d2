import { describe, expect, it } from 'vitest';
import type { Row, ScenarioResult } from './scenario-types.js';
import { checkTargets } from './targets.js';

const row = (server: string, metrics: Record<string, number>, verdict: Row['verdict'] = 'ok'): Row => ({
  server,
  verdict,
  metrics,
  notes: [],
});
const scenario = (id: string, rows: Row[]): ScenarioResult => ({
  id,
  title: id,
  primary: { key: 'x', label: 'x', unit: '', better: 'lower' },
  columns: [],
  rows,
});

describe('checkTargets', () => {
  const status = (results: ScenarioResult[], prefix: string) =>
    checkTargets(results).find((t) => t.target.startsWith(prefix))?.status;

  it('compares CPU per delivery with nchan in the same run', () => {
    const r = [
      scenario('fanout-1k', [
        row('tidings', { serverCpuUsPerDelivery: 2 }),
        row('nchan', { serverCpuUsPerDelivery: 2.5 }),
      ]),
      scenario('fanout-10k', [
        row('tidings', { serverCpuUsPerDelivery: 9 }),
        row('nchan', { serverCpuUsPerDelivery: 8 }),
      ]),
    ];
    expect(status(r, 'fanout-1k')).toBe('met');
    expect(status(r, 'fanout-10k')).toBe('missed');
  });

  it('needs both 3× nchan deliveries and p99 ≤ 250 ms under overload', () => {
    const run = (ratio: number, p99: number) => [
      scenario('latency-100', [
        row('tidings', { deliveriesPerSec: 100 * ratio, p99Ms: p99 }),
        row('nchan', { deliveriesPerSec: 100, p99Ms: 24_000 }),
      ]),
    ];
    expect(status(run(3.2, 200), 'latency-100')).toBe('met');
    expect(status(run(3.2, 300), 'latency-100')).toBe('missed');
    expect(status(run(2.9, 100), 'latency-100')).toBe('missed');
  });

  it('calls a target unmeasured when a row it needs failed, was saturated or skipped', () => {
    for (const verdict of ['failed', 'saturated', 'skipped'] as const) {
      const r = [
        scenario('latency-10', [row('tidings', { p99Ms: 50 }), row('nchan', { p99Ms: 50 }, verdict)]),
        scenario('idle-10k', [row('tidings', { rssBytesPerConnection: 100 }, verdict)]),
      ];
      expect(status(r, 'latency-10')).toBe('unmeasured');
      expect(status(r, 'idle-10k')).toBe('unmeasured');
    }
  });

  it('fails the reconnect storm on any loss even when it was quick', () => {
    const storm = (verdict: Row['verdict'], ms: number) => [
      scenario('reconnect-storm', [
        row('tidings', { catchUpMs: ms, lost: verdict === 'ok' ? 0 : 3, duplicates: 0 }, verdict),
      ]),
    ];
    expect(status(storm('ok', 1200), 'reconnect-storm')).toBe('met');
    expect(status(storm('ok', 5200), 'reconnect-storm')).toBe('missed');
    expect(status(storm('failed', 800), 'reconnect-storm')).toBe('missed');
    expect(status([], 'reconnect-storm')).toBe('unmeasured');
  });

  it('holds idle memory to 8 KiB per connection', () => {
    const idle = (b: number) => [scenario('idle-10k', [row('tidings', { rssBytesPerConnection: b })])];
    expect(status(idle(8192), 'idle-10k')).toBe('met');
    expect(status(idle(8300), 'idle-10k')).toBe('missed');
  });

  it('counts a multi-process tidings row for idle-50k (one process may hold 20,000 files here)', () => {
    const r = (verdict: Row['verdict']) => [
      scenario('idle-50k', [row('tidings×3', { rssBytesPerConnection: 7000 }, verdict)]),
    ];
    expect(status(r('ok'), 'idle-50k')).toBe('met');
    expect(checkTargets(r('ok')).find((t) => t.target.startsWith('idle-50k'))?.detail).toMatch(/tidings×3/);
    expect(status(r('failed'), 'idle-50k')).toBe('unmeasured');
  });
});
