/**
 * Running scripts under Bun and Deno. Their binaries (200 MB together) are not in the root
 * install: the versions pinned in `install/package-lock.json` are installed on demand into a cache
 * under the temp dir, once per lockfile, the way scripts/test-node-major.sh brings other Node
 * majors. The scripts import the built package (`packages/server/dist`): `npm test` builds first;
 * alone, run `npx tsc -b` before.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { installOnDemand, onDemandCache } from '../install-on-demand.js';

export type RuntimeName = 'node' | 'bun' | 'deno';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
export const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * The runtime's binary, installed on demand (see above), or undefined after a loud skip when the
 * install fails (a throw under TIDINGS_REQUIRE_SERVICES=1).
 */
export async function runtimeBinary(name: RuntimeName, file: string): Promise<string | undefined> {
  if (name === 'node') return process.execPath;
  const cache = onDemandCache('runtimes');
  if (!(await installOnDemand(here('./install'), 'Bun and Deno', file, cache))) return undefined;
  const bin = `${cache}/node_modules/.bin/${name}`;
  if (existsSync(bin)) return bin;
  throw new Error(`${bin} is missing after installing ${name}: delete ${cache} and run the test again.`);
}

/** Fails with what to do when the package was not built. */
export function assertBuilt(): void {
  const built = `${root}packages/server/dist/engines/embedded-store.js`;
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: build the packages first (npx tsc -b); npm test does.`);
  }
}

/** How each runtime runs a script of this directory with `vitest` resolved to the shim. */
export function scriptArgs(name: RuntimeName, script: string, args: string[]): string[] {
  if (name === 'bun') return ['--preload', here('./bun-vitest-alias.mjs'), here(script), ...args];
  if (name === 'deno') return ['run', '-A', '--config', here('./deno.json'), here(script), ...args];
  return ['--import', here('./node-vitest-alias.mjs'), here(script), ...args];
}

/** Runs a script to its end in `cwd` (this directory by default); resolves with its exit code and output. */
export function runScript(
  bin: string,
  args: string[],
  timeoutMs: number,
  cwd = here('.'),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
