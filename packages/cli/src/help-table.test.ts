import { describe, expect, it } from 'vitest';
import { SERVE_USAGE } from './commands/serve-usage.js';
import { DEFAULTS_COLUMN, DESCRIPTION_COLUMN, formatSections, wrap } from './help-table.js';

describe('help table', () => {
  it('wraps at spaces and keeps a longer word whole', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrap('a verylongword b', 4)).toEqual(['a', 'verylongword', 'b']);
  });

  it('puts descriptions and defaults in their columns, and a long flag on its own line', () => {
    const text = formatSections([
      {
        heading: 'Options:',
        rows: [
          { flags: '--port <n>', text: 'Port to listen on', default: '8080' },
          { flags: `--${'x'.repeat(40)}`, text: 'Long flag', default: '1s' },
        ],
        notes: ['A note.'],
      },
    ]);
    expect(text).toBe(
      [
        '',
        'Options:',
        `${'  --port <n>'.padEnd(DESCRIPTION_COLUMN)}${'Port to listen on'.padEnd(DEFAULTS_COLUMN - DESCRIPTION_COLUMN)}[8080]`,
        `  --${'x'.repeat(40)}`,
        `${''.padEnd(DESCRIPTION_COLUMN)}${'Long flag'.padEnd(DEFAULTS_COLUMN - DESCRIPTION_COLUMN)}[1s]`,
        '  A note.',
        '',
      ].join('\n'),
    );
  });

  it('aligns every default of `tidings serve --help` in one column', () => {
    const withDefault = SERVE_USAGE.split('\n').filter(
      (l) => /^ {2}-.* \[[^\]]+\]$/.test(l) || /^ {10,}\S.* \[[^\]]+\]$/.test(l),
    );
    expect(withDefault.length).toBeGreaterThan(30);
    for (const line of withDefault) expect(line.lastIndexOf(' [') + 1, line).toBe(DEFAULTS_COLUMN);
    for (const line of SERVE_USAGE.split('\n')) {
      // Every option line starts its description in the same column.
      const m = /^( {2}-\S.*?\S)( {2,})(\S)/.exec(line);
      if (m && !line.includes('--metrics-token <t>, --admin-token <t>'))
        expect((m[1] ?? '').length + (m[2] ?? '').length, line).toBe(DESCRIPTION_COLUMN);
    }
  });

  it('sends Mercure users to a guide that exists and is more than a pointer', async () => {
    const { readFileSync } = await import('node:fs');
    const m = /see (docs\/[\w./-]+\.md)\)/.exec(SERVE_USAGE);
    expect(m?.[1]).toBe('docs/migrating-from-mercure.md');
    const guide = readFileSync(new URL(`../../../${m?.[1]}`, import.meta.url), 'utf8');
    expect(guide.split('\n').length).toBeGreaterThan(100);
  });
});
