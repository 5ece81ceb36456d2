#!/usr/bin/env node
// Checks that every published package (packages/*, not private) is fit to publish, from its built
// dist (run `tsc -b` first; `npm test` does):
//   1. package.json: ESM, `exports` with `types` first for every JavaScript subpath, `sideEffects`,
//      `files`, `engines`, `repository`, `license`; optional peers are declared as peers.
//   2. `publint --strict` and `attw --pack --profile esm-only` report nothing, and
//      `npm publish --dry-run` warns of nothing (npm 11 silently drops a `bin` it finds invalid,
//      for one) and its tarball holds README.md, LICENSE, every `exports` and `bin` target.
//   3. Optional peers are imported only from the subpath that needs them: the static import graph
//      of each package's main entry reaches none of its optional peers, and every entry imports in
//      a child Node process where every optional peer it does not statically import is made
//      unresolvable. Main entries also load through `require()` (Node >= 20.19), the path a
//      CommonJS consumer takes, since the packages ship ESM only.
// Subpaths are read from each package.json, so new ones (framework adapters) are covered as added.
// Usage: node scripts/check-packages.mjs [package-dir ...]
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const failures = [];
const fail = (pkg, message) => failures.push(`${pkg}: ${message}`);

const dirs = process.argv.slice(2).length
  ? process.argv.slice(2).map((d) => resolve(d))
  : readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));
const packages = dirs
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ json }) => !json.private);

const isJsTarget = (target) => typeof target === 'object' && target !== null;

function checkManifest({ json }) {
  const name = json.name;
  if (json.type !== 'module') fail(name, 'set "type": "module"; the packages ship ESM.');
  if (json.sideEffects === undefined)
    fail(name, 'declare "sideEffects" so bundlers can drop unused modules.');
  if (!Array.isArray(json.files)) fail(name, 'list what to publish in "files".');
  if (!json.engines?.node) fail(name, 'declare "engines.node" (Node 20.19 is the floor).');
  if (!json.license) fail(name, 'declare a "license".');
  if (json.publishConfig?.access !== 'public')
    fail(name, 'set "publishConfig": { "access": "public" }: a scoped package is private by default.');
  if (!json.repository?.url || !json.repository?.directory)
    fail(name, 'declare "repository" with "url" and "directory".');
  if (!json.exports?.['.'] && !json.bin) fail(name, 'declare "exports" with a "." entry.');
  if (!json.exports?.['./package.json']) fail(name, 'export "./package.json" for tools that read it.');
  for (const [subpath, target] of Object.entries(json.exports ?? {})) {
    if (!isJsTarget(target)) continue;
    const keys = Object.keys(target);
    if (keys[0] !== 'types') fail(name, `exports["${subpath}"] must list "types" first.`);
    if (!target.default && !target.import)
      fail(name, `exports["${subpath}"] has no "default" or "import" target.`);
  }
  for (const peer of Object.keys(json.peerDependenciesMeta ?? {})) {
    if (!json.peerDependencies?.[peer])
      fail(name, `"${peer}" is in peerDependenciesMeta but not peerDependencies.`);
  }
}

async function checkPublint({ dir, json }) {
  const { messages, pkg } = await publint({ pkgDir: dir, strict: true, level: 'suggestion', pack: 'npm' });
  for (const m of messages) fail(json.name, `publint ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
}

async function checkAttw({ dir, json }) {
  const nonJs = Object.entries(json.exports ?? {})
    .filter(([subpath, target]) => !isJsTarget(target) && subpath !== './package.json')
    .map(([subpath]) => subpath);
  const args = ['--pack', '.', '--profile', 'esm-only', '--format', 'ascii', '--no-color'];
  if (nonJs.length) args.push('--exclude-entrypoints', ...nonJs);
  const bin = join(root, 'node_modules', '.bin', 'attw');
  try {
    await run(bin, args, { cwd: dir, maxBuffer: 16 << 20 });
  } catch (error) {
    fail(json.name, `attw --pack ${args.slice(2).join(' ')} found problems:\n${error.stdout}${error.stderr}`);
  }
}

// What `npm publish --dry-run` says without an npm login; every other warning is the package's.
const NOT_LOGGED_IN = /requires you to be logged in/;

async function checkPublishDryRun({ dir, json }) {
  let out;
  try {
    out = await run('npm', ['publish', '--dry-run', '--json', '--ignore-scripts', '--tag', 'check'], {
      cwd: dir,
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    fail(json.name, `npm publish --dry-run failed:\n${error.stderr || error.message}`);
    return;
  }
  const warnings = out.stderr
    .split('\n')
    .filter((l) => /^npm (warn|error)/i.test(l) && !NOT_LOGGED_IN.test(l));
  if (warnings.length) fail(json.name, `npm publish --dry-run warns:\n    ${warnings.join('\n    ')}`);
  const report = JSON.parse(out.stdout);
  const files = new Set((report[json.name] ?? report).files.map((f) => f.path));
  const targets = new Set(['README.md', 'LICENSE', 'package.json', ...Object.values(json.bin ?? {})]);
  for (const target of Object.values(json.exports ?? {})) {
    for (const path of isJsTarget(target) ? Object.values(target) : [target]) targets.add(path);
  }
  for (const path of targets) {
    const normal = path.replace(/^\.\//, '');
    if (!files.has(normal))
      fail(json.name, `its tarball lacks ${normal}: add it to "files" (or build first).`);
  }
}

const optionalPeers = (json) =>
  Object.entries(json.peerDependenciesMeta ?? {})
    .filter(([, meta]) => meta?.optional)
    .map(([peer]) => peer);

const packageNameOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

/** Bare packages reached from `file` through static imports only (dynamic imports load on demand). */
async function staticExternals(file) {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'externals',
        setup(b) {
          // Other @tidings packages are followed, so an import of their optional-peer subpath is seen.
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@tidings/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  const inputs = result.metafile.inputs;
  const start = relative(process.cwd(), file);
  const seen = new Set([start]);
  const queue = [start];
  const reached = new Set();
  while (queue.length) {
    const current = queue.shift();
    for (const imp of inputs[current]?.imports ?? []) {
      if (imp.kind !== 'import-statement' && imp.kind !== 'require-call') continue;
      if (imp.external) reached.add(packageNameOf(imp.path));
      else if (!seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return reached;
}

// A resolve hook, registered in the child process, that makes the listed packages unresolvable.
const blockerHook = `
const blocked = JSON.parse(process.env.TIDINGS_BLOCKED_PEERS);
export async function resolve(specifier, context, next) {
  if (blocked.some((p) => specifier === p || specifier.startsWith(p + '/'))) {
    const error = new Error('Cannot find package ' + JSON.stringify(specifier) + ' (made unresolvable by check-packages).');
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
const registerBlocker = `import { register } from 'node:module'; register(${JSON.stringify(
  `data:text/javascript,${encodeURIComponent(blockerHook)}`,
)});`;

async function importInChild(specifier, blocked, how) {
  const code =
    how === 'require'
      ? `require(${JSON.stringify(specifier)})`
      : `await import(${JSON.stringify(specifier)})`;
  const args = ['--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(registerBlocker)}`];
  args.push(how === 'require' ? '--input-type=commonjs' : '--input-type=module', '-e', code);
  await run(process.execPath, args, {
    cwd: root,
    env: { ...process.env, TIDINGS_BLOCKED_PEERS: JSON.stringify(blocked) },
  });
}

async function checkOptionalPeers({ dir, json }) {
  const peers = optionalPeers(json);
  const rows = [];
  for (const [subpath, target] of Object.entries(json.exports ?? {})) {
    if (!isJsTarget(target)) continue;
    const file = join(dir, target.default ?? target.import);
    if (!existsSync(file)) {
      fail(
        json.name,
        `exports["${subpath}"] points at ${relative(root, file)}, which is missing: run tsc -b.`,
      );
      continue;
    }
    const reached = await staticExternals(file);
    const needs = peers.filter((p) => reached.has(p));
    rows.push(`${json.name}${subpath.slice(1)}${needs.length ? ` -> ${needs.join(', ')}` : ''}`);
    if (subpath === '.' && needs.length)
      fail(
        json.name,
        `its main entry statically imports optional peer(s) ${needs.join(', ')}; move them to a subpath.`,
      );
    const specifier = json.name + subpath.slice(1);
    const blocked = peers.filter((p) => !needs.includes(p));
    // Vitest's API throws when imported outside a Vitest run, so entries built on it load only there.
    const ways = needs.includes('vitest') ? [] : subpath === '.' ? ['import', 'require'] : ['import'];
    for (const how of ways) {
      try {
        await importInChild(specifier, blocked, how);
      } catch (error) {
        const lines = String(error.stderr).trim().split('\n').slice(0, 6).join('\n    ');
        fail(
          json.name,
          `${how} "${specifier}" failed with optional peers [${blocked.join(', ')}] unresolvable:\n    ${lines}`,
        );
      }
    }
  }
  return rows;
}

const report = [];
await Promise.all(
  packages.map(async (pkg) => {
    checkManifest(pkg);
    await checkPublint(pkg);
    await checkAttw(pkg);
    await checkPublishDryRun(pkg);
    report.push(...(await checkOptionalPeers(pkg)));
  }),
);
console.log(`check-packages: ${packages.length} packages, entries (-> optional peers they import):`);
for (const line of report.sort()) console.log(`  ${line}`);
if (failures.length) {
  console.error(`\ncheck-packages: ${failures.length} problem(s):`);
  for (const f of failures) console.error(`- ${f}`);
  process.exit(1);
}
console.log(
  'check-packages: publint --strict, attw (esm-only), npm publish --dry-run and optional-peer isolation all clean.',
);
