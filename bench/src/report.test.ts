import { describe, expect, it } from 'vitest';
import { type BenchReport, fmt, ratios, svgChart, textReport } from './report.js';
import type { ScenarioResult } from './scenario-types.js';

const s: ScenarioResult = {
  id: 'fanout-1k',
  title: 'Fan-out <1k>',
  primary: { key: 'serverCpuUsPerDelivery', label: 'server CPU per delivery', unit: 'µs', better: 'lower' },
  columns: [{ key: 'serverCpuUsPerDelivery', label: 'µs' }],
  rows: [
    {
      server: 'tidings',
      verdict: 'ok',
      metrics: { serverCpuUsPerDelivery: 2, lost: 0, duplicates: 0, reordered: 0 },
      notes: [],
    },
    { server: 'nchan', verdict: 'ok', metrics: { serverCpuUsPerDelivery: 2.5 }, notes: [] },
    {
      server: 'naive',
      verdict: 'saturated',
      metrics: { generatorCpuShare: 0.95 },
      notes: ['The load generator used 95 %.'],
    },
    { server: 'better-sse', verdict: 'skipped', metrics: {}, notes: ['Not installed.'] },
  ],
};
const rep: BenchReport = {
  startedAt: '2026-11-22T05:00:00.000Z',
  finishedAt: '2026-11-22T05:20:00.000Z',
  machine: {
    cpus: 2,
    cpuModel: 'x',
    loadAverageBefore: '0.1 0.1 0.1',
    loadAverageAfter: '0.2 0.2 0.2',
    node: 'v20',
  },
  settings: { quick: false },
  scenarios: [s],
  targets: [],
};

describe('report', () => {
  it('gives ratios of tidings to valid peers only', () => {
    expect(ratios(s)).toEqual([{ peer: 'nchan', ratio: 0.8 }]);
  });

  it('prints a table with verdicts, notes and ratios', () => {
    const t = textReport(rep);
    expect(t).toContain('tidings server CPU per delivery vs nchan: 0.80× (lower is better)');
    expect(t).toMatch(/naive .* saturated/);
    expect(t).toContain('better-sse: Not installed.');
    expect(t).toContain('load before/after: 0.1 0.1 0.1 / 0.2 0.2 0.2');
  });

  it('heads the targets for a reader, without internal references', () => {
    expect(textReport(rep)).toContain('\n== Targets (ratios to nchan from this run)\n');
    expect(textReport({ ...rep, settings: { quick: true } })).toContain(
      '\n== Targets (ratios to nchan) — quick run: fewer subscribers than the targets assume, so indicative only\n',
    );
    expect(textReport(rep)).not.toMatch(/issue/i);
  });

  it('draws escaped SVG with a bar per measured server', () => {
    const svg = svgChart(rep);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Fan-out &lt;1k&gt;');
    expect(svg.match(/<rect x="200"/g)?.length).toBe(3);
  });

  it('formats figures', () => {
    expect([fmt(3), fmt(2.345), fmt(12.34), fmt(1234.5), fmt(123_456.7), fmt(undefined)]).toEqual([
      '3',
      '2.35',
      '12.3',
      '1235',
      '123k',
      '–',
    ]);
  });
});
