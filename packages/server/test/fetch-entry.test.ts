import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/** Whether a bare import names something that needs Node (a `node:` module, a native addon, ws). */
const nodeOnly = (path: string) => path.startsWith('node:') || path === 'ws' || path === 'better-sqlite3';

interface Edges {
  /** Source files (relative to src/) reached through static imports alone. */
  readonly staticFiles: Set<string>;
  /** `module <- importer` of every Node-only import reached through static imports alone. */
  readonly statically: Set<string>;
  /** The same, reached through at least one dynamic `import()`. */
  readonly lazily: Set<string>;
}

/** Walks the module graph from `entry`, telling static reach from lazy reach. */
async function nodeOnlyImports(entry: string): Promise<Edges> {
  const { metafile } = await build({
    entryPoints: [`${src}${entry}`],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'neutral',
    format: 'esm',
    mainFields: ['module', 'main'],
    // Every bare module stays outside the bundle, so each shows as an import edge.
    packages: 'external',
    logLevel: 'silent',
  });
  const inputs = (metafile as Metafile).inputs;
  const root = Object.keys(inputs).find((k) => k.endsWith(`src/${entry}`)) as string;
  const edges: Edges = { statically: new Set(), lazily: new Set(), staticFiles: new Set() };
  const walk = (from: string, lazy: boolean, seen: Set<string>) => {
    if (seen.has(from)) return;
    seen.add(from);
    for (const i of inputs[from]?.imports ?? []) {
      const viaLazy = lazy || i.kind === 'dynamic-import';
      if (i.external) {
        if (nodeOnly(i.path)) {
          const name = `${i.path} <- ${from.slice(from.indexOf('src/') + 4)}`;
          (viaLazy ? edges.lazily : edges.statically).add(name);
        }
      } else walk(i.path, viaLazy, seen);
    }
  };
  walk(root, false, new Set());
  const walkStatic = (from: string) => {
    const file = from.slice(from.indexOf('src/') + 4);
    if (edges.staticFiles.has(file)) return;
    edges.staticFiles.add(file);
    for (const i of inputs[from]?.imports ?? [])
      if (!i.external && i.kind !== 'dynamic-import') walkStatic(i.path);
  };
  walkStatic(root);
  // Lazy reach of a module also reached statically is static.
  for (const e of edges.statically) edges.lazily.delete(e);
  return edges;
}

describe('the Web-standard entry (createHub + hub.fetch)', () => {
  it('loads no Node-only module when imported: node:http, ws and the SQLite addon load on first use', async () => {
    const { statically, lazily, staticFiles } = await nodeOnlyImports('hub.ts');
    expect([...statically]).toEqual([]);
    // The walk does see them, behind import(): the check above is not vacuous.
    expect([...lazily]).toEqual(expect.arrayContaining(['ws <- transports/ws/ws-plugin.ts']));
    // The SQLite drivers load their binding through the runtime (no import for esbuild to see):
    // the default store's loader and every driver must sit behind import() as well.
    expect(staticFiles).toContain('core/default-store.ts');
    for (const lazyOnly of [
      'engines/embedded-store.ts',
      'engines/sqlite/sqlite-store.ts',
      'engines/sqlite/better-sqlite3-driver.ts',
      'engines/sqlite/bun-sqlite-driver.ts',
      'engines/sqlite/node-sqlite-driver.ts',
    ])
      expect(staticFiles).not.toContain(lazyOnly);
  });
});
