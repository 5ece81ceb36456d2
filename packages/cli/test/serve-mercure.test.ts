import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type ServeProcess, serve } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-serve-mercure-'));
const SECRET = 'mercure-cli-secret-0123456789-abcdefghijkl';
writeFileSync(join(dir, 'mercure.key'), `${SECRET}\n`);
const started: ServeProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    s.proc.kill('SIGTERM');
    await s.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A Mercure token as Symfony issues them: a `mercure` claim, no `exp` or `sub`. */
const token = (mercure: Record<string, unknown>, secret = SECRET) =>
  new SignJWT({ mercure }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

async function publish(url: string, jwt: string, form: string) {
  const res = await fetch(`${url}/.well-known/mercure`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return { status: res.status, body: await res.text() };
}

/** Reads a Mercure stream until `until` appears in it. */
async function readUntil(url: string, query: string, until: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${url}/.well-known/mercure?${query}`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  let text = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    text += dec.decode(chunk, { stream: true });
    if (text.includes(until)) break;
  }
  abort.abort();
  return text;
}

describe('tidings serve --mercure', () => {
  it("takes Mercure's own environment variables, publishes and replays, and keeps /events closed", async () => {
    const s = await serve(['--memory', '--mercure'], { MERCURE_PUBLISHER_JWT_KEY: SECRET });
    started.push(s);
    const r = await publish(
      s.url,
      await token({ publish: ['*'] }),
      'topic=https://example.com/books/1&data=hello&id=urn:x:1',
    );
    expect(r).toEqual({ status: 200, body: 'urn:x:1' });
    const sub = await token({ subscribe: ['*'] });
    const text = await readUntil(
      s.url,
      'topic=https://example.com/books/{id}&lastEventID=earliest',
      'hello',
      {
        authorization: `Bearer ${sub}`,
      },
    );
    expect(text).toContain('id: urn:x:1\ndata: hello\n\n');
    // Anonymous subscribers are off outside --dev.
    expect((await fetch(`${s.url}/.well-known/mercure?topic=*`)).status).toBe(401);
    // The hub's own API has no credentials configured, so nobody gets in.
    expect((await fetch(`${s.url}/events?topic=**`)).status).toBe(401);
    const native = await fetch(`${s.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sub}` },
      body: '{"topic":"x","type":"y","data":1}',
    });
    expect(native.status).toBe(401);
  });

  it('in --dev lets anonymous subscribers in and prints a token to publish with', async () => {
    const s = await serve(['--memory', '--mercure', '--mercure-subscriptions']);
    started.push(s);
    const devToken = () => /Mercure development token[^:]*: ([\w-]+\.[\w-]+\.[\w-]+)/.exec(s.output())?.[1];
    // Logged next to the "listening" line, not necessarily before it.
    for (let i = 0; i < 500 && !devToken(); i++) await new Promise((r) => setTimeout(r, 10));
    const dev = devToken();
    expect(dev).toBeDefined();
    const reading = readUntil(s.url, 'topic=*', 'data: from dev');
    // The stream is open once the hub counts it; then publish.
    for (let i = 0; i < 200; i++) {
      const h = (await (await fetch(`${s.url}/healthz`)).json()) as { connections: number };
      if (h.connections > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await publish(s.url, dev as string, 'topic=https://example.com/x&data=from%20dev')).status).toBe(
      200,
    );
    expect(await reading).toContain('data: from dev');
  });

  it('explains unusable Mercure settings and exits 2', async () => {
    const short = await run(['serve', '--port', '0', '--memory', '--mercure'], {
      env: { MERCURE_PUBLISHER_JWT_KEY: 'short' },
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/Mercure option publisherJwt.secret is 5 bytes; HS256 needs at least 32/);
    const stray = await run(['serve', '--port', '0', '--memory', '--dev', '--mercure-anonymous']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--mercure-anonymous needs --mercure/);
    const alg = await run([
      'serve',
      '--port',
      '0',
      '--memory',
      '--mercure',
      '--mercure-publisher-jwt-key',
      join(dir, 'mercure.key'),
      '--mercure-publisher-jwt-alg',
      'RS256',
    ]);
    expect(alg.code).toBe(2);
    expect(alg.stderr).toMatch(/shared secret, which RS256 cannot use/);
    const help = await run(['serve', '--help']);
    expect(help.stdout).toContain('--mercure-publisher-jwt-key');
  });
});
