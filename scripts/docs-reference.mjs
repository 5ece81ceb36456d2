#!/usr/bin/env node
// Generates the API reference (Markdown) from the TSDoc of every entry in every published
// package's `exports`, so subpaths added later are covered without editing this file.
//   node scripts/docs-reference.mjs          writes docs/reference/ (`npm run docs:reference`; committed,
//                                            so the reference reads on GitHub and in the npm tarball's repo)
//   node scripts/docs-reference.mjs --check  fails when an exported symbol or an option has no TSDoc, a
//                                            {@link} is broken, or docs/reference/ differs from what the
//                                            sources generate (npm test)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel, ReflectionKind } from 'typedoc';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const subpathOf = (json, target) =>
  Object.entries(json.exports)
    .find(([, t]) => t === target)[0]
    .slice(1);

/** src/…/index.ts of each JavaScript subpath in `exports` (dist/x/index.js → src/x/index.ts). */
function entryPoints() {
  const entries = [];
  for (const name of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    if (json.private) continue;
    for (const target of Object.values(json.exports ?? {})) {
      if (typeof target !== 'object' || target === null) continue;
      const js = target.default ?? target.import;
      const source = join(dir, js.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
      const tsx = source.replace(/\.ts$/, '.tsx');
      const file = existsSync(source) ? source : existsSync(tsx) ? tsx : null;
      if (file) entries.push({ file, specifier: json.name + subpathOf(json, target) });
      else throw new Error(`No source for ${json.name} export ${js}: expected ${source}.`);
    }
  }
  return entries;
}

/** Relative paths of files that differ between two directory trees (missing on either side too). */
function differences(a, b) {
  const list = (dir, prefix = '') =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
          d.isDirectory() ? list(join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`],
        )
      : [];
  const files = new Set([...list(a), ...list(b)]);
  return [...files].filter((f) => {
    const pa = join(a, f);
    const pb = join(b, f);
    return !existsSync(pa) || !existsSync(pb) || !readFileSync(pa).equals(readFileSync(pb));
  });
}

const out = check ? mkdtempSync(join(tmpdir(), 'tidings-reference-')) : join(root, 'docs', 'reference');
// Every exit below goes through process.exit; the temporary output must not outlive the check.
if (check) process.on('exit', () => rmSync(out, { recursive: true, force: true }));
const entries = entryPoints();
const app = await Application.bootstrapWithPlugins({
  entryPoints: entries.map((e) => e.file),
  entryPointStrategy: 'resolve',
  tsconfig: join(root, 'tsconfig.reference.json'),
  plugin: ['typedoc-plugin-markdown'],
  out,
  name: 'Tidings API reference',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  sort: ['source-order'],
  gitRevision: 'main',
  disableSources: true,
  // notDocumented is checked below: TypeDoc's check would also demand a comment on every method of
  // every interface (Logger.debug…), which say nothing their type does not.
  validation: { notExported: false, invalidLink: true, notDocumented: false, rewrittenLink: true },
  treatValidationWarningsAsErrors: check,
  logLevel: LogLevel.Warn,
  hidePageTitle: false,
  entryFileName: 'README.md',
  outputFileStrategy: 'modules',
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
});
const project = await app.convert();
if (!project) {
  console.error('docs-reference: TypeDoc could not convert the packages (see the errors above).');
  process.exit(1);
}
// TypeDoc names modules by their path (server/src/redis); readers import @tidings/server/redis.
for (const module of project.children ?? []) {
  // src/redis/index.ts is named server/src/redis; src/adapters/express.ts server/src/adapters/express.
  const entry = entries.find((e) =>
    [dirname(e.file), e.file.replace(/\.tsx?$/, '')].some((p) => p.endsWith(`/${module.name}`)),
  );
  if (entry) module.name = entry.specifier;
}
app.validate(project);
const documented = (r) => r.hasComment() || (r.signatures ?? []).some((s) => s.hasComment());
// Every exported symbol.
for (const module of project.children ?? []) {
  for (const symbol of module.children ?? []) {
    if (!documented(symbol) && !symbol.kindOf(ReflectionKind.Reference))
      app.logger.error(`${module.name}: export ${symbol.name} has no TSDoc; say what it does.`);
  }
}
// Every option: each property of a type named …Options, …Props or …Limits (not Resolved…, the
// hub's internal view of options documented on their input type), nested ones included.
const optionOwner = /^(?!Resolved)\w*(Options|Props|Limits)$/;
for (const reflection of project.getReflectionsByKind(ReflectionKind.Property)) {
  const path = reflection.getFriendlyFullName().split('.');
  let inParameter = false;
  for (let r = reflection.parent; r; r = r.parent) inParameter ||= r.kindOf(ReflectionKind.Parameter);
  if (inParameter || !path.some((segment) => optionOwner.test(segment)) || reflection.hasComment()) continue;
  app.logger.error(
    `${reflection.getFriendlyFullName()} is an option without TSDoc: say what it does and its @defaultValue.`,
  );
}
if (app.logger.hasErrors() || (check && app.logger.hasWarnings())) {
  console.error(
    `docs-reference: ${app.logger.errorCount} error(s), ${app.logger.warningCount} warning(s) above. ` +
      'Every exported symbol and option needs TSDoc; fix the comment the message names.',
  );
  process.exit(1);
}
await app.generateOutputs(project);
if (check) {
  const committed = join(root, 'docs', 'reference');
  const stale = differences(out, committed);
  if (stale.length) {
    console.error(
      `docs-reference: docs/reference/ is out of date (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}). ` +
        'Run `npm run docs:reference` and commit docs/reference/.',
    );
    process.exit(1);
  }
}
console.log(
  check
    ? 'docs-reference: every export and option has TSDoc, every link resolves, docs/reference/ is current.'
    : `docs-reference: wrote ${out}`,
);
