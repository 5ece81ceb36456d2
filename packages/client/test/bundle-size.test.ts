import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The client as an app bundler ships it: minified, split at its dynamic imports. */
async function chunks(): Promise<{
  core: string;
  coreGzip: number;
  coreInputs: string[];
  lazy: Map<string, string>;
}> {
  const r = await build({
    entryPoints: [here('../src/index.ts')],
    bundle: true,
    minify: true,
    splitting: true,
    outdir: '/tidings-size-check',
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    metafile: true,
    alias: { '@tidings/protocol': here('../../protocol/src/index.ts') },
  });
  const name = (p: string) => p.split('/').pop() as string;
  const text = new Map(r.outputFiles.map((f) => [name(f.path), f.text]));
  const outputs = Object.entries(r.metafile.outputs).map(([p, o]) => ({ ...o, name: name(p) }));
  const entry = outputs.find((o) => o.entryPoint) as (typeof outputs)[number];
  const core = [
    entry.name,
    ...entry.imports.filter((i) => i.kind === 'import-statement').map((i) => name(i.path)),
  ];
  const coreText = core.map((n) => text.get(n) ?? '').join('\n');
  const lazy = new Map([...text].filter(([n]) => !core.includes(n)));
  const coreInputs = outputs.filter((o) => core.includes(o.name)).flatMap((o) => Object.keys(o.inputs));
  return {
    coreInputs,
    core: coreText,
    coreGzip: core.reduce((s, n) => s + gzipSync(text.get(n) ?? '', { level: 9 }).length, 0),
    lazy,
  };
}

describe('the browser bundle', () => {
  it('keeps the core within 12 KiB min+gzip, with WebSocket, commands, tabs and EventSource in lazy chunks', async () => {
    const { core, coreGzip, coreInputs, lazy } = await chunks();
    expect(coreGzip, `core is ${coreGzip} bytes min+gzip`).toBeLessThanOrEqual(12 * 1024);
    // The WebSocket transport and the commands are loaded on first use only.
    expect(core).not.toContain('tidings.v1');
    expect([...lazy.values()].some((t) => t.includes('tidings.v1'))).toBe(true);
    // No validation library (zod) and none of the hub's message validator in the browser.
    expect(coreInputs.filter((i) => i.includes('node_modules') && !i.includes('eventsource-parser'))).toEqual(
      [],
    );
    expect(core).not.toContain('unsupported-version');
  });
});
