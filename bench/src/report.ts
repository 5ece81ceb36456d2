import type { Row, ScenarioResult } from './scenario-types.js';
import type { TargetCheck } from './targets.js';

/** The whole run, as written to the JSON file. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    loadAverageBefore: string;
    loadAverageAfter: string;
    node: string;
  };
  settings: Record<string, unknown>;
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
}

/** Formats a figure with sensible precision. */
export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (Number.isInteger(n) && a < 100_000) return String(n);
  if (a >= 100_000) return `${(n / 1000).toFixed(0)}k`;
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function cell(r: Row, key: string): string {
  if (r.verdict === 'skipped') return '';
  const v = r.metrics[key];
  if (key.endsWith('Share')) return v === undefined ? '–' : `${Math.round(v * 100)} %`;
  return fmt(v);
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/** Ratio of tidings' primary figure to a peer's (so `<1` is better when lower wins, `>1` when higher wins). */
export function ratios(s: ScenarioResult): Array<{ peer: string; ratio: number }> {
  const t = s.rows.find((r) => r.server === 'tidings' && (r.verdict === 'ok' || r.verdict === 'behind'));
  if (!t) return [];
  const out: Array<{ peer: string; ratio: number }> = [];
  for (const r of s.rows) {
    if (r === t || (r.verdict !== 'ok' && r.verdict !== 'behind')) continue;
    const a = t.metrics[s.primary.key];
    const b = r.metrics[s.primary.key];
    if (a !== undefined && b !== undefined && b !== 0) out.push({ peer: r.server, ratio: a / b });
  }
  return out;
}

/** The plain-text report: one table per scenario, ratios to each peer, then the targets. */
export function textReport(rep: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    `Tidings benchmark — ${rep.startedAt}, ${rep.machine.cpus} CPUs (${rep.machine.cpuModel}), load before/after: ${rep.machine.loadAverageBefore} / ${rep.machine.loadAverageAfter}`,
  );
  const updates = rep.settings.updates as
    | Array<{ scenarios: string[]; startedAt: string; loadAverageBefore: string }>
    | undefined;
  for (const u of updates ?? [])
    lines.push(`  measured ${u.startedAt} (load ${u.loadAverageBefore}): ${u.scenarios.join(', ')}`);
  for (const s of rep.scenarios) {
    lines.push('', `== ${s.title} [${s.id}]`);
    const head = ['server', ...s.columns.map((c) => c.label), 'lost/dup/order', 'verdict'];
    const body = s.rows.map((r) => [
      r.server,
      ...s.columns.map((c) => cell(r, c.key)),
      r.verdict === 'skipped' || r.metrics.lost === undefined
        ? ''
        : `${r.metrics.lost}/${r.metrics.duplicates}/${r.metrics.reordered ?? 0}`,
      r.verdict,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    lines.push(pad(head, widths));
    for (const b of body) lines.push(pad(b, widths));
    const rs = ratios(s);
    if (rs.length)
      lines.push(
        `   tidings ${s.primary.label} vs ${rs.map((r) => `${r.peer}: ${fmt(r.ratio)}×`).join(', ')} (${s.primary.better} is better)`,
      );
    for (const r of s.rows) for (const n of r.notes) lines.push(`   ${r.server}: ${n}`);
  }
  lines.push(
    '',
    rep.settings.quick
      ? '== Targets (ratios to nchan) — quick run: fewer subscribers than the targets assume, so indicative only'
      : '== Targets (ratios to nchan from this run)',
  );
  for (const t of rep.targets) lines.push(`  [${t.status.padEnd(10)}] ${t.target}: ${t.detail}`);
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<string, string> = {
  tidings: '#2563eb',
  'tidings×2': '#7c3aed',
  nchan: '#dc2626',
  naive: '#6b7280',
  'better-sse': '#059669',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A hand-written SVG: per scenario, one bar per server for its headline figure (scaled to the
 * scenario's largest), then the latency percentiles of the fixed-rate scenarios.
 */
export function svgChart(rep: BenchReport): string {
  const W = 760;
  const barH = 16;
  const parts: string[] = [];
  let y = 40;
  const label = 200;
  const plot = W - label - 90;
  for (const s of rep.scenarios) {
    const rows = s.rows.filter((r) => r.verdict !== 'skipped');
    if (rows.length === 0) continue;
    parts.push(
      `<text x="10" y="${y}" font-weight="bold">${esc(s.title)} — ${esc(s.primary.label)} (${esc(s.primary.unit)}, ${s.primary.better} is better)</text>`,
    );
    y += 8;
    const max = Math.max(...rows.map((r) => r.metrics[s.primary.key] ?? 0), 1e-9);
    for (const r of rows) {
      const v = r.metrics[s.primary.key];
      const w = v === undefined ? 0 : Math.max(1, (v / max) * plot);
      const note = r.verdict === 'ok' ? '' : ` (${r.verdict})`;
      parts.push(
        `<text x="${label - 6}" y="${y + 12}" text-anchor="end">${esc(r.server + note)}</text>`,
        `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[r.server] ?? '#999'}" opacity="${r.verdict === 'ok' ? 1 : 0.35}"/>`,
        `<text x="${(label + w + 4).toFixed(1)}" y="${y + 12}">${fmt(v)}</text>`,
      );
      y += barH;
    }
    y += 22;
  }
  const lat = rep.scenarios.filter((s) => s.id.startsWith('latency-'));
  const pcts = ['p50Ms', 'p90Ms', 'p99Ms', 'maxMs'];
  for (const s of lat) {
    const rows = s.rows.filter((r) => r.verdict !== 'skipped' && r.metrics.p50Ms !== undefined);
    if (rows.length === 0) continue;
    parts.push(
      `<text x="10" y="${y}" font-weight="bold">${esc(s.title)} — percentiles (ms, log scale)</text>`,
    );
    y += 8;
    const max = Math.max(...rows.flatMap((r) => pcts.map((p) => r.metrics[p] ?? 0)), 1);
    const scale = (v: number) => (Math.log10(Math.max(v, 0.1)) + 1) / (Math.log10(max) + 1);
    for (const r of rows) {
      parts.push(`<text x="${label - 6}" y="${y + 12}" text-anchor="end">${esc(r.server)}</text>`);
      pcts.forEach((p, i) => {
        const v = r.metrics[p] ?? 0;
        const w = Math.max(1, scale(v) * plot);
        parts.push(
          `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[r.server] ?? '#999'}" opacity="${(0.25 + 0.25 * (3 - i)).toFixed(2)}"/>`,
          `<text x="${(label + w + 4).toFixed(1)}" y="${y + 12}" font-size="10">${p.replace('Ms', '')} ${fmt(v)}</text>`,
        );
        y += barH;
      });
      y += 4;
    }
    y += 22;
  }
  const title = `Tidings vs peers — ${rep.startedAt.slice(0, 16).replace('T', ' ')} UTC, load ${rep.machine.loadAverageBefore}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}
