import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, run } from './spawn-cli.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill('SIGTERM');
});

/**
 * Starts `tidings serve --dev --memory --port 0 …args` and resolves with its stdout lines once
 * `lines` of them have arrived: under a pseudo-terminal (`script`, so stdout is a TTY) or piped.
 */
function serveLines(args: string[], lines: number, o: { tty: boolean; env?: Record<string, string> }) {
  const env: Record<string, string | undefined> = { ...process.env, ...o.env };
  if (!o.env || !('NO_COLOR' in o.env)) delete env.NO_COLOR;
  // Node reads a terminal under CI=1 (set by .ci/run) as 2-colour, so the level would be plain.
  if (!o.env || !('CI' in o.env)) delete env.CI;
  const argv = [process.execPath, BIN, 'serve', '--dev', '--memory', '--port', '0', ...args];
  const proc = o.tty
    ? spawn('script', ['-qec', argv.join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let out = '';
  return new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${lines} lines in time:\n${out}`)), 15_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // A terminal ends lines with \r\n.
      const got = out.split(/\r?\n/);
      if (got.length > lines) {
        clearTimeout(timer);
        resolve(got.slice(0, lines));
      }
    });
    proc.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

const TIME = String.raw`\d\d:\d\d:\d\d\.\d{3}`;
const URL_RE = String.raw`http://127\.0\.0\.1:\d+`;
const DEV =
  'DEVELOPMENT MODE: no authentication, anyone who can reach this port may read and publish everything';

describe('tidings serve logs', () => {
  it('writes one JSON line per entry when piped, with a single listening line that scripts can wait for', async () => {
    const lines = await serveLines([], 2, { tty: false });
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^\{"tidings":"listening","url":"(${URL_RE})","level":30,"time":\d{13},"history":"memory \(lost on restart\)","node":"[a-z0-9]+","msg":"Tidings hub listening on \1"\}$`,
      ),
    );
    expect(JSON.parse(lines[1] as string)).toEqual({ level: 40, time: expect.any(Number), msg: DEV });
  });

  it.skipIf(!hasScript)('writes readable lines on a terminal, without colour under NO_COLOR', async () => {
    const lines = await serveLines([], 2, { tty: true, env: { NO_COLOR: '1' } });
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^${TIME} INFO  Tidings hub listening on ${URL_RE} history="memory \(lost on restart\)" node=[a-z0-9]+$`,
      ),
    );
    expect(lines[1]).toMatch(new RegExp(`^${TIME} WARN  ${DEV}$`));
  });

  it.skipIf(!hasScript)('colours the level on a terminal', async () => {
    const lines = await serveLines([], 1, { tty: true });
    expect(lines[0]).toMatch(
      // dim time, green level, dim keys (SGR 2/22, 32/39).
      new RegExp(
        String.raw`^\x1b\[2m${TIME}\x1b\[22m \x1b\[32mINFO \x1b\[39m Tidings hub listening on ${URL_RE} \x1b\[2mhistory=\x1b\[22m"memory \(lost on restart\)" \x1b\[2mnode=\x1b\[22m[a-z0-9]+$`,
      ),
    );
  });

  it.skipIf(!hasScript)('writes JSON on a terminal with --log-format json', async () => {
    const lines = await serveLines(['--log-format', 'json'], 1, { tty: true });
    expect(lines[0]).toMatch(/^\{"tidings":"listening","url":"http:\/\/127\.0\.0\.1:\d+","level":30,/);
  });

  it('writes readable lines when piped with --log-format pretty, and no JSON listening line', async () => {
    const lines = await serveLines(['--log-format', 'pretty'], 2, { tty: false });
    expect(lines[0]).toMatch(
      new RegExp(
        String.raw`^${TIME} INFO  Tidings hub listening on ${URL_RE} history="memory \(lost on restart\)" node=[a-z0-9]+$`,
      ),
    );
    expect(lines[1]).toMatch(new RegExp(`^${TIME} WARN  ${DEV}$`));
  });

  it('refuses another --log-format with exit code 2 and a sentence', async () => {
    const r = await run(['serve', '--dev', '--memory', '--port', '0', '--log-format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'tidings serve: --log-format is "pretty" or "json", not "xml"; without it, logs are pretty on a terminal and JSON otherwise.\n',
    );
  });
});
