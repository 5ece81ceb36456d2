import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run, type ServeProcess, serve } from './spawn-cli.js';

const MiB = 1024 * 1024;

/** The resident set of a process, from /proc (this is what the budget promises about). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

const sockets: Socket[] = [];
const hubs: ServeProcess[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const h of hubs.splice(0)) {
    h.proc.kill('SIGTERM');
    await h.exited;
  }
});

/** A publish whose head declares 1 MiB and whose body never comes; resolves with any answer. */
function stalledPublish(port: number): { text: () => string } {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  let text = '';
  s.on('data', (d) => {
    text += d.toString();
  });
  s.on('error', () => {});
  s.write(
    `POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${MiB}\r\n\r\n{"to`,
  );
  return { text: () => text };
}

describe('tidings serve --max-memory', () => {
  it('refuses sizes it cannot use with exit code 2 and a sentence', async () => {
    for (const [value, sentence] of [
      ['lots', /--max-memory takes a size such as 65536, 64KiB or 1MiB; got "lots"/],
      ['0', /--max-memory must be larger than zero/],
      ['16MiB', /--max-memory must be at least 32MiB.*Give a budget such as 512MiB or 2GiB\./],
    ] as const) {
      const r = await run(['serve', '--dev', '--port', '0', '--max-memory', value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(sentence);
    }
    // The primary of --workers refuses it before forking anyone.
    const w = await run(['serve', '--dev', '--port', '0', '--workers', '2', '--max-memory', '1k']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--max-memory must be at least 32MiB/);
  });

  it('takes 512MiB, 1GiB and plain bytes, and reports the budget on /metrics', async () => {
    for (const [value, bytes] of [
      ['512MiB', 512 * MiB],
      ['1GiB', 1024 * MiB],
      ['100000000', 100_000_000],
    ] as const) {
      const h = await serve(['--memory', '--max-memory', value]);
      hubs.push(h);
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain(`tidings_memory_budget_bytes ${bytes}`);
      h.proc.kill('SIGTERM');
      await h.exited;
      hubs.pop();
    }
  });

  it('a hub process at its budget answers 503 + Retry-After to publishes that do not fit, and its RSS stays near the budget', async () => {
    const budget = 96 * MiB;
    const h = await serve(['--memory', '--max-memory', '96MiB']);
    hubs.push(h);
    const pid = h.proc.pid as number;
    const port = Number(new URL(h.url).port);
    let peak = rssOf(pid);
    const held: Array<{ text: () => string }> = [];
    let refused: { text: () => string } | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const p = stalledPublish(port);
      await new Promise((r) => setTimeout(r, 60));
      peak = Math.max(peak, rssOf(pid));
      if (p.text() === '') held.push(p);
      else refused = p;
    }
    expect(refused).toBeDefined();
    const answer = (refused as { text: () => string }).text();
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toMatch(/\r\nretry-after: 2\r\n/i);
    expect(answer).toContain('"option":"maxMemoryBytes"');
    expect(held.length).toBeGreaterThan(0);
    // Smaller work still fits in what the refused megabytes left: a stream opens.
    const abort = new AbortController();
    const stream = await fetch(`${h.url}/events?topic=x`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    abort.abort();
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/tidings_memory_shed_total\{work="body"\} [1-9]/);
    expect(metrics).toContain(`tidings_memory_held_bytes{kind="bodies"} ${held.length * 6 * MiB}`);
    // The reservations were refused before any body arrived: the process never grew past the
    // budget (plus the margin docs/security.md gives).
    expect(peak).toBeLessThanOrEqual(budget + 64 * MiB);
    // The attackers leave: the hub takes work again, and it never exited.
    for (const s of sockets.splice(0)) s.destroy();
    let status = 0;
    for (let i = 0; i < 100 && status !== 201; i++) {
      const r = await fetch(`${h.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'x', type: 't', data: 1 }),
      });
      status = r.status;
      if (status !== 201) await new Promise((ok) => setTimeout(ok, 100));
    }
    expect(status).toBe(201);
    expect(h.proc.exitCode).toBeNull();
  });
});
