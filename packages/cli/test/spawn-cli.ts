import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI entry point (`npm test` builds before running tests). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A `tidings serve` child process. */
export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Flags that configure authentication; without one, tests run the hub with `--dev`. */
const AUTH_FLAG =
  /^--(jwt-secret-file|jwt-public-key|jwks-file|publisher-key-file|dev|mercure-publisher-jwt-key|mercure-subscriber-jwt-key)$/;

/**
 * Starts `tidings serve --port 0 …args` and waits for its "listening" line. Adds `--dev` unless
 * `args` configure authentication (or `env` carries a secret).
 */
export function serve(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const dev =
    args.some((a) => AUTH_FLAG.test(a)) ||
    'TIDINGS_JWT_SECRET' in env ||
    'TIDINGS_PUBLISHER_KEY' in env ||
    'MERCURE_PUBLISHER_JWT_KEY' in env
      ? []
      : ['--dev'];
  const proc = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--log-level', 'warn', ...dev, ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | string>((r) => proc.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tidings serve did not start:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{"tidings"')) continue;
        const msg = JSON.parse(line) as { tidings: string; url: string };
        if (msg.tidings === 'listening') {
          clearTimeout(timer);
          resolve({ proc, url: msg.url, output: () => out, exited });
        }
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tidings serve exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Runs the CLI to completion; returns exit code and output. */
export function run(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`tidings ${args.join(' ')} timed out:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    proc.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (opts.input !== undefined) proc.stdin.end(opts.input);
    else proc.stdin.end();
  });
}
