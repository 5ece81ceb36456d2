/**
 * The Next.js example under the adapter suite: `next build`, then `next start` on a free port of
 * 127.0.0.1, the hub living in the Next.js server process behind `app/live/[...hub]/route.ts`.
 *
 * Next.js is not in the root install (300 MB for this one example): the example's own
 * package-lock.json is installed on demand into its gitignored node_modules (`@tidings/*`, built,
 * resolve from the repository's node_modules above it). Then `tsc -p examples/next` type-checks it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { adapterSuite, PK } from '../../packages/server/test/adapters/adapter-suite.js';
import { installOnDemand } from '../../packages/server/test/install-on-demand.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const nextBin = fileURLToPath(new URL('./node_modules/next/dist/bin/next', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const installed = await installOnDemand(dir, 'Next.js (examples/next)', import.meta.filename ?? __filename);
// Vitest sets NODE_ENV=test, which Next.js does not expect of `next build` and `next start`.
const env = {
  ...process.env,
  NODE_ENV: 'production' as const,
  NEXT_TELEMETRY_DISABLED: '1',
  TIDINGS_PUBLISHER_KEY: PK,
};

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!installed)('the Next.js example', () => {
  it('type-checks against next, react and the built @tidings packages', async () => {
    const errors = await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(
      () => '',
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(errors).toBe('');
  }, 120_000);
});

// `next build` runs while the file is collected, where no hook timeout applies: on a busy machine
// it alone takes longer than the two minutes the suite gives its setup.
if (installed) {
  await promisify(execFile)(process.execPath, [nextBin, 'build'], {
    cwd: dir,
    env,
    timeout: 600_000,
  }).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`next build failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
}

if (installed)
  adapterSuite('Next.js App Router (next build && next start)', {
    ownRoutes: false,
    async start() {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child: ChildProcess = spawn(
        process.execPath,
        [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)],
        {
          cwd: dir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      const exited = once(child, 'exit');
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
        const ok = await fetch(`${url}/connections`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`next start did not answer within 60 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return {
        url,
        async connections() {
          const r = await fetch(`${url}/connections`);
          return ((await r.json()) as { connections: number }).connections;
        },
        async close() {
          child.kill('SIGTERM');
          await exited;
        },
      };
    },
  });
