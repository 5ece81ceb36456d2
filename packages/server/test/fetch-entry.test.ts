import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Node-only modules still imported on the fetch path, by the file that imports them. `auth/` is
 * being split (issue 18) and will look up node:crypto on first use like the rest of the hub; shrink
 * this list as it does, never grow it.
 */
const PENDING: ReadonlySet<string> = new Set([
  'node:crypto <- auth/jwt-authorizer.ts',
  'node:crypto <- auth/key-set.ts',
  'node:crypto <- auth/publisher-key.ts',
]);

/** Whether a bare import names something that needs Node (a `node:` module, a native addon, ws). */
const nodeOnly = (path: string) => path.startsWith('node:') || path === 'ws' || path === 'better-sqlite3';

interface Edges {
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
  const edges: Edges = { statically: new Set(), lazily: new Set() };
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
  // Lazy reach of a module also reached statically is static.
  for (const e of edges.statically) edges.lazily.delete(e);
  return edges;
}

describe('the Web-standard entry (createHub + hub.fetch)', () => {
  it('loads no Node-only module when imported: node:http, ws and the SQLite addon load on first use', async () => {
    const { statically, lazily } = await nodeOnlyImports('hub.ts');
    expect([...statically].filter((e) => !PENDING.has(e))).toEqual([]);
    // The walk does see them, behind import(): the check above is not vacuous.
    expect([...lazily]).toEqual(
      expect.arrayContaining([
        'ws <- transports/ws/ws-plugin.ts',
        'better-sqlite3 <- engines/sqlite/sqlite-store.ts',
      ]),
    );
  });
});
