import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type ServeProcess, serve } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-secret-flags-'));
const KEY = 'cli-publisher-key-0123456789abcdef0123';
const ADMIN = 'cli-admin-token-from-a-file';
const METRICS = 'cli-metrics-token-from-a-file';
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const keyFile = file('key', KEY);
const adminFile = file('admin', `${ADMIN}\n`);
const metricsFile = file('metrics', `${METRICS}\n`);
const emptyFile = file('empty', '\n');

const running: ServeProcess[] = [];
async function start(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const p = await serve(['--memory', ...args], env);
  running.push(p);
  return p;
}

afterAll(() => {
  for (const p of running) p.proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const warning = (flag: string, env: string) =>
  new RegExp(
    `warning: --${flag} on the command line is visible to every user of this machine in the process list; put it in a file and pass --${flag}-file <file>, or set ${env}\\.`,
  );

describe('secrets on the command line', () => {
  it('--admin-token and --metrics-token on argv still work, each with a warning naming the safer way', async () => {
    const hub = await start(['--admin-token', ADMIN, '--metrics-token', METRICS]);
    expect(hub.output()).toMatch(warning('admin-token', 'TIDINGS_ADMIN_TOKEN'));
    expect(hub.output()).toMatch(warning('metrics-token', 'TIDINGS_METRICS_TOKEN'));
    const m = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(m.status).toBe(200);
    const s = await fetch(`${hub.url}/admin/stats`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(s.status).toBe(200);
  });

  it('--admin-token-file and --metrics-token-file read the tokens (trimmed) without a warning', async () => {
    const hub = await start(['--admin-token-file', adminFile, '--metrics-token-file', metricsFile]);
    expect(hub.output()).not.toMatch(/warning/);
    expect((await fetch(`${hub.url}/metrics`)).status).toBe(401);
    const m = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(m.status).toBe(200);
    const s = await fetch(`${hub.url}/admin/stats`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(s.status).toBe(200);
  });

  it('refuses a token given twice, an unreadable file and an empty file with exit code 2', async () => {
    const both = await run([
      'serve',
      '--dev',
      '--memory',
      '--admin-token',
      ADMIN,
      '--admin-token-file',
      adminFile,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--admin-token and --admin-token-file exclude each other/);
    const missing = await run(['serve', '--dev', '--memory', '--metrics-token-file', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--metrics-token-file cannot read ".*nope" \(ENOENT\)/);
    const empty = await run(['serve', '--dev', '--memory', '--admin-token-file', emptyFile]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--admin-token-file ".*empty" is empty; put the secret in it\./);
    const short = await run(['serve', '--dev', '--memory', '--admin-token-file', file('short', 'abc')]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8 characters/);
  });

  it('tidings publish --token warns; --token-file and $TIDINGS_TOKEN do not', async () => {
    const hub = await start(['--publisher-key-file', keyFile]);
    const argv = await run(['publish', '--url', hub.url, '--token', KEY, 'secrets/a', 'made', '{}']);
    expect(argv.code).toBe(0);
    expect(argv.stderr).toMatch(warning('token', 'TIDINGS_TOKEN'));
    const fromFile = await run([
      'publish',
      '--url',
      hub.url,
      '--token-file',
      keyFile,
      'secrets/a',
      'made',
      '{}',
    ]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe('');
    const fromEnv = await run(['publish', '--url', hub.url, 'secrets/a', 'made', '{}'], {
      env: { TIDINGS_TOKEN: KEY },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toBe('');
    const unreadable = await run(['publish', '--url', hub.url, '--token-file', join(dir, 'nope'), 'a', 'b']);
    expect(unreadable.code).toBe(2);
  });

  it('tidings top --admin-token warns and still works; --admin-token-file does not warn', async () => {
    const hub = await start(['--admin-token-file', adminFile]);
    const argv = await run(['top', '--once', '--url', hub.url, '--admin-token', ADMIN]);
    expect(argv.code).toBe(0);
    expect(argv.stderr).toMatch(warning('admin-token', 'TIDINGS_ADMIN_TOKEN'));
    const fromFile = await run(['top', '--once', '--url', hub.url, '--admin-token-file', adminFile]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toBe('');
  });
});

describe('/metrics outside --dev', () => {
  it('is closed (403) without a metrics token, with a sentence saying how to open it', async () => {
    const hub = await start(['--publisher-key-file', keyFile]);
    const res = await fetch(`${hub.url}/metrics`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toMatch(/--metrics-token-file <file> \(or TIDINGS_METRICS_TOKEN\)/);
    expect(body.error.message).toMatch(/--metrics-public/);
    // The publisher key is not the metrics token.
    const key = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(key.status).toBe(403);
  });

  it('takes its token from $TIDINGS_METRICS_TOKEN', async () => {
    const hub = await start(['--publisher-key-file', keyFile], { TIDINGS_METRICS_TOKEN: METRICS });
    expect(hub.output()).not.toMatch(/warning/);
    expect((await fetch(`${hub.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/tidings_connections/);
  });

  it('--metrics-public opens it; with --dev it is open by default', async () => {
    const open = await start(['--publisher-key-file', keyFile, '--metrics-public']);
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    const dev = await start([]);
    expect((await fetch(`${dev.url}/metrics`)).status).toBe(200);
  });

  it('--metrics-public with a metrics token is a usage error (exit 2)', async () => {
    const r = await run([
      'serve',
      '--dev',
      '--memory',
      '--metrics-public',
      '--metrics-token-file',
      metricsFile,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--metrics-public and a metrics token exclude each other/);
  });
});

describe('the Redis URL', () => {
  it('--redis with a password warns and names --redis-url-file, which reads the URL from a file', async () => {
    // A port nothing listens on: the hub starts degraded, which is enough to see the warning.
    const r = await serve([
      '--redis',
      'redis://:hunter2-secret@127.0.0.1:1/0',
      '--redis-prefix',
      `sf${process.pid}`,
    ]);
    running.push(r);
    expect(r.output()).toMatch(
      /warning: --redis carries a password, which every user of this machine sees in the process list; put the URL in a file and pass --redis-url-file <file> instead\./,
    );
    expect(r.output()).not.toMatch(/hunter2/);
    const fromFile = await serve([
      '--redis-url-file',
      file('redis', 'redis://:hunter2-secret@127.0.0.1:1/0\n'),
      '--redis-prefix',
      `sf${process.pid}`,
    ]);
    running.push(fromFile);
    expect(fromFile.output()).not.toMatch(/warning: --redis/);
    expect(fromFile.output()).toMatch(/Redis is not reachable yet/);
    const both = await run(['serve', '--dev', '--redis', 'redis://127.0.0.1:1', '--redis-url-file', keyFile]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--redis and --redis-url-file exclude each other/);
  });
});
