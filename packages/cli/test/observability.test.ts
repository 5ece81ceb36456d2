import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, type ServeProcess, serve } from './spawn-cli.js';

const ADMIN = 'cli-admin-token-3f9a';
const METRICS = 'cli-metrics-token-77c1';

let hub: ServeProcess;
let plain: ServeProcess;
beforeAll(async () => {
  [hub, plain] = await Promise.all([
    serve(['--memory', '--admin-token', ADMIN, '--metrics-token', METRICS, '--log-level', 'info']),
    serve(['--memory']),
  ]);
});
afterAll(() => {
  hub.proc.kill('SIGTERM');
  plain.proc.kill('SIGTERM');
});

async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition never held');
}

describe('tidings serve observability flags', () => {
  it('puts /metrics behind --metrics-token', async () => {
    const none = await fetch(`${hub.url}/metrics`);
    expect(none.status).toBe(401);
    const ok = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^tidings_connections_open\{transport="sse"\} \d+$/m);
    // Without a token the endpoint is open.
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(200);
  });

  it('says how to turn the admin page on when it is off', async () => {
    const res = await fetch(`${plain.url}/admin`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/--admin-token/);
    const top = await run(['top', '--once', '--url', plain.url, '--admin-token', ADMIN]);
    expect(top.code).toBe(1);
    expect(top.stderr).toMatch(/admin page is off/);
  });

  it('logs one info line per connection open and close, and never the tokens', async () => {
    const abort = new AbortController();
    const res = await fetch(`${hub.url}/events?topic=orders/**`, { signal: abort.signal });
    expect(res.status).toBe(200);
    await waitFor(async () => hub.output().includes('"msg":"connection opened"'));
    abort.abort();
    await waitFor(async () => hub.output().includes('"msg":"connection closed"'));
    const closed = hub
      .output()
      .split('\n')
      .filter((l) => l.includes('"msg":"connection closed"'))
      .map((l) => JSON.parse(l));
    expect(closed[0]).toMatchObject({ level: 30, reason: 'client', transport: 'sse' });
    expect(closed[0].durationMs).toBeTypeOf('number');
    expect(hub.output()).not.toContain(ADMIN);
    expect(hub.output()).not.toContain(METRICS);
  });

  it('lists the flags in --help', async () => {
    const help = await run(['serve', '--help']);
    expect(help.stdout).toMatch(/--metrics-token <t>/);
    expect(help.stdout).toMatch(/--admin-token <t>/);
    expect(help.stdout).toMatch(/--topic-labels <list>/);
    const short = await run(['serve', '--dev', '--memory', '--port', '0', '--admin-token', 'short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8 characters/);
  });
});

describe('tidings top', () => {
  it('prints the hub’s figures once with --once', async () => {
    const abort = new AbortController();
    const sub = await fetch(`${hub.url}/events?topic=orders/**`, { signal: abort.signal });
    expect(sub.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${hub.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          topic: `orders/eu/${i}`,
          type: i < 3 ? 'order-created' : 'order-paid',
          data: { i },
        }),
      });
      expect(r.status).toBe(201);
    }
    const top = await run(['top', '--once', '--url', hub.url], { env: { TIDINGS_ADMIN_TOKEN: ADMIN } });
    abort.abort();
    expect(top.stderr).toBe('');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Tidings top · node \S+ · memory store · memory broker/);
    expect(top.stdout).toMatch(/Connections 1 /);
    expect(top.stdout).toMatch(/Published \S+\/s \(5 total\)/);
    expect(top.stdout).toMatch(/order-created +█+ +3 +60%/);
    expect(top.stdout).toMatch(/order-paid +█+ +2 +40%/);
    expect(top.stdout).toMatch(/orders\/\*\*/);
    expect(top.stdout).not.toMatch(/\x1b\[/);
  });

  it('follows $sys/stats live until interrupted', async () => {
    const proc = spawn(process.execPath, [BIN, 'top', '--url', hub.url, '--interval', '100ms'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', TIDINGS_ADMIN_TOKEN: ADMIN },
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await waitFor(async () => out.includes('● live'));
      // Its own $sys stream shows up as an admin connection.
      await waitFor(async () => /Connections \d+ \(\+1 admin\)/.test(out));
      const r = await fetch(`${hub.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'probe', type: 'live-probe', data: {} }),
      });
      expect(r.status).toBe(201);
      await waitFor(async () => out.includes('live-probe'));
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out.split('Tidings top · node').length).toBeGreaterThan(2);
  });

  it('refuses to run without the token, and reports a wrong one', async () => {
    const none = await run(['top', '--once', '--url', hub.url], { env: { TIDINGS_ADMIN_TOKEN: '' } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--admin-token/);
    for (const once of [['--once'], []]) {
      const wrong = await run(['top', ...once, '--url', hub.url, '--admin-token', 'not-the-token']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/401 \(unauthorized\)/);
    }
    const help = await run(['top', '--help']);
    expect(help.stdout).toMatch(/--interval <dur>/);
  });
});
