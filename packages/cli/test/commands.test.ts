import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type ServeProcess, serve } from './spawn-cli.js';

let hub: ServeProcess;
beforeAll(async () => {
  hub = await serve(['--memory', '--max-payload', '1KiB']);
});
afterAll(() => {
  hub.proc.kill('SIGTERM');
});

/** Waits until the hub reports at least `n` open streams. */
async function connections(n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const h = (await (await fetch(`${hub.url}/healthz`)).json()) as { connections: number };
    if (h.connections >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the hub never reached ${n} connections`);
}

describe('tidings publish / subscribe', () => {
  it('publishes, prints the id, and a subscriber tails it as JSON', async () => {
    const sub = run(['subscribe', '--url', hub.url, '--json', '--count', '2', 'leases', 'tenant/*/jobs']);
    await connections(1);
    const a = await run(['publish', '--url', hub.url, 'leases', 'lease-added', '{"ip":"10.0.0.7"}']);
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toMatch(/^\S+$/);
    const b = await run(['publish', '--url', hub.url, 'tenant/acme/jobs', 'job.progress', '-'], {
      input: '{"p":50}',
    });
    expect(b.code).toBe(0);
    const s = await sub;
    expect(s.code).toBe(0);
    const lines = s.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.topic, l.type, l.data])).toEqual([
      [a.stdout.trim(), 'leases', 'lease-added', { ip: '10.0.0.7' }],
      [b.stdout.trim(), 'tenant/acme/jobs', 'job.progress', { p: 50 }],
    ]);
  });

  it('pretty-prints in a terminal-like format and resumes from --last-event-id', async () => {
    const first = await run(['publish', '--url', hub.url, 'pretty', 'x', '1']);
    const second = await run(['publish', '--url', hub.url, 'pretty', 'y', '{"a":"b"}']);
    const s = await run([
      'subscribe',
      '--url',
      hub.url,
      '--count',
      '1',
      '--last-event-id',
      first.stdout.trim(),
      'pretty',
    ]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}pretty {2}y {2}\{"a":"b"\}\n$/);
    expect(second.code).toBe(0);
  });

  it('treats a repeated --id as a no-op and says so', async () => {
    const a = await run(['publish', '--url', hub.url, '--id', 'job-1-done', 'jobs', 'done', 'null']);
    const b = await run(['publish', '--url', hub.url, '--id', 'job-1-done', 'jobs', 'done', 'null']);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(b.stdout.trim()).toBe('job-1-done');
    expect(b.stderr).toMatch(/already stored/);
  });

  it.each([
    [['publish', 'leases'], 2, /needs a topic and an event type/],
    [['publish', 'leases', 't', '{bad'], 2, /not valid JSON/],
    [['publish', 'a//b', 't', '1'], 2, /empty segment/],
    [['publish', '--nope', 'a', 't', '1'], 2, /Unknown option --nope/],
    [['publish', '--url', 'ftp://x', 'a', 't', '1'], 2, /http:\/\/ or https:\/\//],
    [['subscribe'], 2, /at least one topic/],
    [['subscribe', '--count', 'many', 'a'], 2, /positive whole number/],
    [['serve', '--port', '99999'], 2, /port number/],
    [['serve', '--workers', '-1'], 2, /--workers takes a number of processes from 1 to 64.*got "-1"/],
    [['serve', '--port', '--memory'], 2, /--port needs a value, not another option/],
    [['serve', '--memory', '--data', 'x'], 2, /exclude each other/],
    [['serve', '--retention-age', 'forever'], 2, /duration/],
    [
      ['serve', '--dev', '--memory', '--port', '0', '--slow-grace', 'soon'],
      2,
      /--slow-grace takes a duration/,
    ],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [
      ['publish', '--url', 'http://127.0.0.1:9', 'a', 't', '1'],
      3,
      /Cannot reach the hub at http:\/\/127\.0\.0\.1:9/,
    ],
  ])('tidings %j exits %i with a clear message', async (args, code, message) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it("exits 1 with the hub's own message when the hub refuses", async () => {
    const r = await run(['publish', '--url', hub.url, 'a', 't', JSON.stringify('x'.repeat(2000))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/413 \(payload-too-large\).*limit is 1024/);
  });

  it('subscribe exits 1 with advice when the hub refuses the stream', async () => {
    const r = await run(['subscribe', '--url', `${hub.url}/nope`, 'leases']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The hub refused the request \(404\): There is nothing at \/nope\/events; .* then run the command again\./,
    );
  });

  it('refuses a port that is taken', async () => {
    const port = new URL(hub.url).port;
    const r = await run(['serve', '--dev', '--memory', '--port', port]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`Port ${port} .* already in use`));
  });

  it('prints help for every command', async () => {
    for (const cmd of ['serve', 'publish', 'subscribe']) {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: tidings ${cmd}`));
    }
  });
});
