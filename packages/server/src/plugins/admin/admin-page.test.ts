import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminPage } from './admin-page.generated.js';

const script = fileURLToPath(new URL('../../../../../scripts/inline-admin.mjs', import.meta.url));

describe('admin page', () => {
  it('is generated from page/admin.html, admin.css and admin.js, and the committed module is current', () => {
    // --check compares only; it never writes the tracked module.
    const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('inlines the stylesheet and the script under the nonce, and loads nothing else', () => {
    const html = adminPage('n0nce');
    expect(html.match(/<style nonce="n0nce">/g)).toHaveLength(1);
    expect(html.match(/<script nonce="n0nce">/g)).toHaveLength(1);
    expect(html).not.toMatch(/<link\b|<script src=|\$\{/);
    expect(html.startsWith('<!doctype html>\n')).toBe(true);
    expect(html.endsWith('</html>\n')).toBe(true);
  });
});
