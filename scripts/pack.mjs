#!/usr/bin/env node
// `npm run pack`: builds the workspace and writes one tarball per publishable package
// (packages/*, not private) into dist-pack/, the way `npm publish` would upload them. Until the
// packages are on the registry, these tarballs are how an app outside this repository installs
// Tidings (docs/getting-started.md).
//
// The packages depend on each other by exact version (`"@tidings/protocol": "0.1.0"`), so a set
// of tarballs installed together in one `npm install` satisfies those dependencies among itself
// and npm never asks the registry for them. This script refuses to pack when an internal
// dependency names a version other than the one being packed, since npm would then look for it on
// the registry and fail with a 404.
//
// Usage: node scripts/pack.mjs [--out DIR] [--no-build] [--json]
//   --out DIR    where to write the tarballs (default: dist-pack/ at the repository root)
//   --no-build   pack the dist/ already built (the caller ran `tsc -b`)
//   --json       print {dir, tarballs, install} as JSON instead of the human summary
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Publishable packages (packages/*, not private), dependencies before their dependents. */
export function publishablePackages() {
  const all = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ json }) => !json.private);
  const byName = new Map(all.map((p) => [p.json.name, p]));
  const ordered = [];
  const visit = (pkg, path = []) => {
    if (ordered.includes(pkg)) return;
    if (path.includes(pkg.json.name))
      throw new Error(`Dependency cycle: ${[...path, pkg.json.name].join(' -> ')}.`);
    for (const dep of Object.keys(pkg.json.dependencies ?? {})) {
      const internal = byName.get(dep);
      if (internal) visit(internal, [...path, pkg.json.name]);
    }
    ordered.push(pkg);
  };
  for (const pkg of all) visit(pkg);
  return ordered;
}

/** Problems that would make a tarball unusable next to the others (internal versions that differ). */
export function internalVersionProblems(packages) {
  const versions = new Map(packages.map(({ json }) => [json.name, json.version]));
  const problems = [];
  for (const { json } of packages) {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(json[field] ?? {})) {
        if (versions.has(dep) && range !== versions.get(dep)) {
          problems.push(
            `${json.name} ${field}["${dep}"] is "${range}" but ${dep} is ${versions.get(dep)}: ` +
              `set it to "${versions.get(dep)}" so the tarballs resolve among themselves.`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Builds (unless `build` is false) and packs every publishable package into `out`, replacing the
 * tarballs there. Resolves with the absolute tarball paths, dependencies first.
 */
export async function packAll({ out = join(root, 'dist-pack'), build = true } = {}) {
  const packages = publishablePackages();
  const problems = internalVersionProblems(packages);
  if (problems.length) throw new Error(`Cannot pack:\n- ${problems.join('\n- ')}`);
  if (build) {
    // What `npm run build` does; it writes only dist/ (the generated admin page is committed).
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
      cwd: root,
    }).catch((error) => {
      throw new Error(`tsc -b failed; fix the type errors, then pack again:\n${error.stdout}${error.stderr}`);
    });
  }
  for (const { dir, json } of packages) {
    const entry = join(dir, 'dist', 'index.js');
    if (!existsSync(entry)) {
      throw new Error(
        `${relative(root, entry)} is missing: run \`npm run build\` first, or pack without --no-build.`,
      );
    }
    if (!json.version) throw new Error(`${json.name} has no "version"; give it one before packing.`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const tarballs = [];
  for (const { dir, json } of packages) {
    // --ignore-scripts: nothing runs at pack time but what this script did; the tarball is dist/ as built.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
      cwd: dir,
      maxBuffer: 64 << 20,
    });
    const [{ filename }] = JSON.parse(stdout);
    const path = join(out, filename);
    if (!existsSync(path))
      throw new Error(`npm pack reported ${filename} for ${json.name}, but ${path} is missing.`);
    tarballs.push(path);
  }
  return { dir: out, tarballs, install: `npm install ${tarballs.join(' ')}` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  try {
    const result = await packAll({
      out: values.out ? resolve(values.out) : undefined,
      build: !values['no-build'],
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`Packed ${result.tarballs.length} packages into ${result.dir}:`);
      for (const t of result.tarballs) console.log(`  ${relative(result.dir, t)}`);
      console.log('\nInstall them into an app (all in one command, so they resolve one another):\n');
      console.log(`  ${result.install}\n`);
      console.log('Then follow docs/getting-started.md from step 2.');
    }
  } catch (error) {
    console.error(`pack: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
