/**
 * Installs what a few heavy tests need (Next.js for its example, the Bun and Deno binaries) on
 * demand instead of with the root `npm install`, which then stays small. Each has its own
 * package.json and package-lock.json in the repository; `npm ci` installs exactly that lockfile
 * into a directory (the example's own gitignored node_modules, or a cache under the temp dir),
 * once per lockfile: a marker records the lockfile's hash, so later runs reuse the install.
 *
 * When the install fails (no registry locally), the tests skip loudly; under
 * TIDINGS_REQUIRE_SERVICES=1 (.ci/run) they fail.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { missingService } from './services.js';

const MARKER = '.tidings-installed-lock';

const lockHash = (dir: string): string =>
  createHash('sha256')
    .update(readFileSync(join(dir, 'package.json')))
    .update(readFileSync(join(dir, 'package-lock.json')))
    .digest('hex')
    .slice(0, 16);

/** Waits for, then takes, a lock directory (mkdir is atomic); a lock older than 20 minutes is stale. */
async function withLock<T>(lock: string, body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0;
      if (age > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * `npm ci` in `dir`, in its own process group so that a timeout also ends the install scripts it
 * started. Resolves with undefined, or the end of its output when it failed.
 */
function npmCi(dir: string, timeout = 15 * 60_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => {
      stderr += `\nkilled after ${timeout / 1000} s`;
      process.kill(-(child.pid as number), 'SIGKILL');
    }, timeout);
    child.on('error', (error) => (stderr += `\n${error.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : stderr || `exit ${code}`);
    });
  });
}

/**
 * Runs `npm ci` in `target` from the package.json and package-lock.json of `source` (copied there
 * first when they differ), unless `target` already holds that install. Resolves with true when the
 * packages are there, or false after a loud skip (throws under TIDINGS_REQUIRE_SERVICES=1).
 */
export async function installOnDemand(
  source: string,
  what: string,
  file: string,
  target: string = source,
): Promise<boolean> {
  const hash = lockHash(source);
  const marker = join(target, 'node_modules', MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return true;
  mkdirSync(target, { recursive: true });
  // The lock lives in the temp dir, never beside an example inside the repository.
  const lock = onDemandCache(`${createHash('sha256').update(target).digest('hex').slice(0, 16)}.installing`);
  mkdirSync(dirname(lock), { recursive: true });
  return withLock(lock, async () => {
    if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return true;
    if (target !== source) {
      for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(source, f), join(target, f));
    }
    rmSync(join(target, 'node_modules'), { recursive: true, force: true });
    const started = Date.now();
    const failure = await npmCi(target);
    if (failure) {
      missingService(
        `\`npm ci\` of ${what} in ${target} failed (${failure.trim().split('\n').slice(-3).join(' ')})`,
        file,
        `The tests install ${what} on demand from the npm registry; check that npm reaches it, then run them again.`,
      );
      return false;
    }
    writeFileSync(marker, `${hash}\n`);
    console.log(
      `installed ${what} in ${target} (${Math.round((Date.now() - started) / 1000)} s, kept for later runs)`,
    );
    return true;
  });
}

/** A cache directory for on-demand installs, outside the repository: `$TMPDIR/tidings-on-demand/<name>`. */
export const onDemandCache = (name: string): string => join(tmpdir(), 'tidings-on-demand', name);
