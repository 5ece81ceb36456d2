import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// `npm run hub` runs this script; it builds the workspace first (tsc -b, quick when up to date).
const SCRIPT = fileURLToPath(new URL('../scripts/dev-hub.mjs', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;
const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGTERM');
});

/** Runs the script until its stdout holds a line, then resolves with both streams so far. */
function until(proc: ChildProcess, done: (stdout: string) => boolean) {
  running.push(proc);
  let stdout = '';
  let stderr = '';
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no hub in time:\n${stdout}\n${stderr}`)), 110_000);
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (done(stdout)) {
        clearTimeout(timer);
        resolve({ stdout, stderr });
      }
    });
    proc.on('exit', (code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
  });
}

describe('npm run hub', () => {
  it('says it builds, how long it took, then serves with JSON logs when piped', async () => {
    const proc = spawn(process.execPath, [SCRIPT, '--port', '0', '--memory'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { stdout, stderr } = await until(proc, (out) => out.includes('\n'));
    expect(stderr).toMatch(
      /^Building the packages \(tsc -b\)…\nBuilt the packages in \d+\.\d s; starting the hub \(tidings serve --dev\)\.\n$/,
    );
    expect(stdout).toMatch(/^\{"tidings":"listening","url":"http:\/\/127\.0\.0\.1:\d+","level":30,/);
  }, 120_000);

  it.skipIf(!hasScript)(
    'counts the seconds on a terminal, then prints readable logs',
    async () => {
      const cmd = [process.execPath, SCRIPT, '--port', '0', '--memory'].join(' ');
      const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
      const proc = spawn('script', ['-qec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      // Under a pseudo-terminal stderr and stdout arrive together.
      const { stdout } = await until(proc, (out) => /listening on .*\r\n/.test(out));
      expect(stdout).toMatch(
        /^Building the packages \(tsc -b\)…(\rBuilding the packages \(tsc -b\)… \d+\.\d s)*\r\x1b\[2KBuilt the packages in \d+\.\d s; starting the hub \(tidings serve --dev\)\.\r\n\d\d:\d\d:\d\d\.\d{3} INFO {2}Tidings hub listening on http:\/\/127\.0\.0\.1:\d+ history="memory \(lost on restart\)" node=[a-z0-9]+\r\n/,
      );
    },
    120_000,
  );
});
