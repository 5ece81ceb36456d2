import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The bare imports an entry's bundle keeps (every package is external), and its gzip size. */
async function entry(file: string): Promise<{ imports: string[]; gzip: number }> {
  const r = await build({
    entryPoints: [here(`../../src/${file}`)],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    jsx: 'automatic',
    platform: 'browser',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(r.metafile.outputs)[0];
  const imports = [...new Set((output?.imports ?? []).map((i) => i.path))].sort();
  return { imports, gzip: gzipSync(r.outputFiles[0]?.contents ?? new Uint8Array()).length };
}

describe('entry points', () => {
  it('load only the optional peer they are named after', async () => {
    const main = await entry('index.ts');
    // The React layer alone (React, Zustand and the client external), minified and gzipped.
    console.info(
      `@tidings/react main entry: ${(main.gzip / 1024).toFixed(1)} KiB gzip without its dependencies`,
    );
    expect(main.imports).toEqual([
      '@tidings/client',
      'react',
      'react/jsx-runtime',
      'zustand',
      'zustand/vanilla',
    ]);
    expect((await entry('query/index.ts')).imports).toEqual(['@tanstack/react-query', 'react']);
    expect((await entry('swr/index.ts')).imports).toEqual(['react', 'swr']);
    expect((await entry('toast/index.ts')).imports).toEqual(['react', 'react/jsx-runtime', 'sonner']);
  });
});
