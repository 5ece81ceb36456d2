/**
 * docs/getting-started.md, followed the way a newcomer outside the repository follows it: the
 * packages packed into tarballs (`npm run pack`), the guide's install block run in a fresh app in
 * the temp dir, the files it has the reader save (```ts file=server.ts …) written as they are,
 * type-checked with the TypeScript the guide installs (the newest), the page built with Vite, and
 * `server.ts` run as a real hub on an ephemeral port while `watch.ts` waits for the item that the
 * guide's curl adds and the one the guide's `npx @tidings/cli publish` sends. The guide cannot
 * drift from what works without this file failing.
 *
 * The install needs the npm registry (third-party packages); without it the file skips loudly,
 * and fails under TIDINGS_REQUIRE_SERVICES=1. The app's node_modules are kept in the temp dir,
 * keyed by the install block, Node and npm versions: later runs replace only the @tidings tarballs.
 * The first run compiles better-sqlite3 where npm finds no prebuilt binary (this machine; minutes
 * on a busy one), hence the long install timeout.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingService } from '../../server/test/services.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const guidePath = join(root, 'docs', 'getting-started.md');
const guide = readFileSync(guidePath, 'utf8');

interface Block {
  lang: string;
  attrs: Record<string, string>;
  code: string;
}

/** The fenced blocks of the guide with their info-string attributes (`file=server.ts`, `step=install`). */
function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\S*)[ \t]*(.*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) {
    const attrs = Object.fromEntries(
      (m[2] ?? '')
        .split(/\s+/)
        .filter((a) => a.includes('='))
        .map((a) => a.split('=', 2) as [string, string]),
    );
    blocks.push({ lang: m[1] ?? '', attrs, code: m[3] ?? '' });
  }
  return blocks;
}

const blocks = blocksOf(guide);
const step = (name: string): string => {
  const block = blocks.find((b) => b.attrs.step === name);
  if (!block)
    throw new Error(`docs/getting-started.md has no \`\`\`sh step=${name} block; the test runs it.`);
  return block.code;
};
const files = blocks.filter((b) => b.attrs.file);
const installBlock = step('install');
const installLines = installBlock.trim().split('\n');

async function npmVersion(): Promise<string> {
  return (await run('npm', ['--version'])).stdout.trim();
}

/** Whether the registry answers (the install fetches react, vite, typescript… from it). */
async function registryReachable(): Promise<boolean> {
  return run('npm', ['ping'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
}

const online = await registryReachable();
if (!online) {
  missingService(
    'The npm registry is unreachable',
    import.meta.filename ?? __filename,
    'The guide test installs react, vite and typescript from it into a fresh app; connect, or set npm\'s "registry" to a mirror.',
  );
}

const cache = join(
  tmpdir(),
  'tidings-guide',
  createHash('sha256')
    .update(`${installBlock}\n${process.version}\n${online ? await npmVersion() : ''}`)
    .digest('hex')
    .slice(0, 16),
);
const app = join(cache, 'live-list');
const installed = join(app, 'node_modules', '.tidings-guide-installed');
const children: ChildProcess[] = [];

/**
 * Runs a shell script of the guide in its own process group, so that a timeout ends npm and the
 * compiler it started too, not only the shell.
 */
function sh(script: string, cwd: string, env: Record<string, string> = {}, timeout = 2_400_000) {
  return new Promise<{ stdout: string }>((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env, npm_config_audit: 'false', npm_config_fund: 'false' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeout / 1000} s)`;
      process.kill(-(child.pid as number), 'SIGKILL');
    }, timeout);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout });
      else reject(new Error(`\`${script}\` failed in ${cwd} (exit ${code}):\n${stdout}\n${stderr}`));
    });
  });
}

/** Starts a long-running command of the app; resolves with the first match of `ready` in its stdout. */
function start(args: string[], env: Record<string, string>, onLine: (line: string) => void = () => {}) {
  const child = spawn(join(app, 'node_modules', '.bin', args[0] as string), args.slice(1), {
    cwd: app,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    for (const line of d.split('\n')) if (line.trim()) onLine(line.trim());
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  return { child, output: () => output };
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms: number,
  log: () => string,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${ms / 1000} s. Output:\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

describe.skipIf(!online)('docs/getting-started.md, followed in a fresh app outside the repository', () => {
  beforeAll(async () => {
    // Step 1: the tarballs, where the guide's install line looks for them (../tidings/dist-pack).
    const { packAll } = (await import(join(root, 'scripts', 'pack.mjs'))) as {
      packAll(o: { out: string; build: boolean }): Promise<{ tarballs: string[] }>;
    };
    const { tarballs } = await packAll({ out: join(cache, 'tidings', 'dist-pack'), build: true });
    expect(tarballs.map((t) => t.split('/').pop())).toEqual([
      'tidings-protocol-0.1.0.tgz',
      'tidings-client-0.1.0.tgz',
      'tidings-server-0.1.0.tgz',
      'tidings-cli-0.1.0.tgz',
      'tidings-react-0.1.0.tgz',
    ]);

    // Step 2: the install block, as written. It starts by creating the app, so it runs beside it.
    expect(installLines[0]).toMatch(/^mkdir live-list && cd live-list && npm init -y/);
    if (existsSync(installed)) {
      // The app from an earlier run: the same install lines, with this run's tarballs (the lockfile
      // holds the previous tarballs' integrity, so it goes too).
      rmSync(join(app, 'node_modules', '@tidings'), { recursive: true, force: true });
      rmSync(join(app, 'package-lock.json'), { force: true });
      await sh(installLines.slice(1).join('\n'), app);
    } else {
      rmSync(app, { recursive: true, force: true });
      await sh(installBlock, cache);
      writeFileSync(installed, `${new Date().toISOString()}\n`);
    }

    for (const block of files) writeFileSync(join(app, block.attrs.file as string), block.code);
    for (const old of ['items.json', '.tidings', 'dist'])
      rmSync(join(app, old), { recursive: true, force: true });
  }, 2_700_000);

  it('installs the five packages from the tarballs, with better-sqlite3 built and the tidings command linked', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      type: string;
      dependencies: Record<string, string>;
      allowScripts: Record<string, unknown>;
    };
    expect(pkg.type).toBe('module');
    expect(pkg.allowScripts['better-sqlite3']).toBe(true);
    for (const name of ['protocol', 'client', 'server', 'react', 'cli']) {
      expect(pkg.dependencies[`@tidings/${name}`]).toMatch(
        new RegExp(`^file:.*tidings-${name}-0\\.1\\.0\\.tgz$`),
      );
    }
    expect(pkg.dependencies.zod).toBeDefined();
    expect(
      existsSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
    ).toBe(true);
    expect(existsSync(join(app, 'node_modules', '.bin', 'tidings'))).toBe(true);
    // The glob in the install line matched exactly the packed tarballs, no stale one beside them.
    expect(readdirSync(join(cache, 'tidings', 'dist-pack')).sort()).toEqual(
      ['cli', 'client', 'protocol', 'react', 'server'].map((n) => `tidings-${n}-0.1.0.tgz`),
    );
  });

  it("type-checks every file the guide has the reader save, with the guide's tsconfig and the newest TypeScript", async () => {
    expect(files.map((b) => b.attrs.file).sort()).toEqual([
      'events.ts',
      'index.html',
      'latest-item.tsx',
      'main.tsx',
      'server.ts',
      'tsconfig.json',
      'vite.config.js',
      'watch.ts',
    ]);
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'tsc'), ['--version'], { cwd: app });
    expect(Number(/Version (\d+)/.exec(stdout)?.[1])).toBeGreaterThanOrEqual(6);
    const result = await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: app }).then(
      () => '',
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(result).toBe('');
  }, 120_000);

  it('builds the page with Vite, the stylesheet of @tidings/react included', async () => {
    await run(join(app, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
      cwd: app,
      timeout: 120_000,
    });
    expect(readFileSync(join(app, 'dist', 'index.html'), 'utf8')).toContain('<div id="root">');
    const assets = readdirSync(join(app, 'dist', 'assets'));
    expect(assets.filter((a) => a.endsWith('.js'))).not.toEqual([]);
    expect(assets.filter((a) => a.endsWith('.css'))).not.toEqual([]);
  }, 180_000);

  it("runs server.ts as a hub: watch.ts receives the item the guide's curl adds and the event `npx @tidings/cli publish` sends", async () => {
    const server = start(['tsx', 'server.ts'], { PORT: '0' });
    const hub = await waitFor(
      'server.ts printing its address',
      () => /hub and API on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1],
      60_000,
      server.output,
    );
    const health = await fetch(`${hub}/healthz`);
    expect(health.status).toBe(200);

    const received: string[] = [];
    const watch = start(['tsx', 'watch.ts'], { HUB_URL: hub }, (line) => received.push(line));

    // The guide's curl, aimed at this run's port. A client that connects fresh starts at "now",
    // so the item is added again until the watcher, once connected, prints one.
    const curl = step('publish').trim().replaceAll('http://127.0.0.1:8080', hub);
    const line = await waitFor(
      'watch.ts printing an item-added event',
      async () => {
        const { stdout } = await sh(curl, app, {}, 10_000);
        expect(JSON.parse(stdout)).toMatchObject({ text: 'Hello, live list' });
        return received.find((l) => l.startsWith('item-added '));
      },
      60_000,
      () => `${server.output()}\n--- watch.ts:\n${watch.output()}`,
    );
    expect(line).toMatch(/^item-added \S+: Hello, live list$/);
    const list = (await (await fetch(`${hub}/api/items`)).json()) as { id: number; text: string }[];
    expect(list[0]).toEqual({ id: 1, text: 'Hello, live list' });

    // The CLI section's publish line, as written, against this hub ($TIDINGS_URL is its --url).
    const publish = step('cli')
      .split('\n')
      .find((l) => l.startsWith('npx @tidings/cli publish '));
    expect(publish).toBeDefined();
    const { stdout } = await sh(publish as string, app, { TIDINGS_URL: hub }, 60_000);
    const id = stdout.trim();
    expect(id).not.toBe('');
    const fromCli = await waitFor(
      'watch.ts printing the CLI-published event',
      () => received.find((l) => l.startsWith(`item-added ${id}:`)),
      20_000,
      watch.output,
    );
    expect(fromCli).toBe(`item-added ${id}: hi`);
  }, 180_000);
});

// A stale app from an older install block would only waste disk: keep the cache to the current key.
if (online) {
  mkdirSync(join(tmpdir(), 'tidings-guide'), { recursive: true });
  for (const name of readdirSync(join(tmpdir(), 'tidings-guide'))) {
    if (join(tmpdir(), 'tidings-guide', name) !== cache) {
      rmSync(join(tmpdir(), 'tidings-guide', name), { recursive: true, force: true });
    }
  }
}
