import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type ServeProcess, serve } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tidings-serve-auth-'));
const SECRET = 'cli-test-secret-0123456789-abcdefghijklmnop';
const KEY = 'cli-publisher-key-0123456789abcdef0123';
writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
writeFileSync(join(dir, 'key'), KEY);
const started: ServeProcess[] = [];
afterAll(async () => {
  for (const s of started) {
    s.proc.kill('SIGTERM');
    await s.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

describe('tidings serve authentication', () => {
  it('refuses to start without authentication, saying which flags to pass', async () => {
    const r = await run(['serve', '--port', '0', '--memory']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /needs authentication: pass --jwt-secret-file .* --publisher-key-file .* pass --dev\./,
    );
  });

  it('refuses --dev together with authentication', async () => {
    const r = await run([
      'serve',
      '--port',
      '0',
      '--memory',
      '--dev',
      '--publisher-key-file',
      join(dir, 'key'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dev turns authentication off; remove it, or remove --publisher-key-file/);
  });

  it('names an unreadable key file and a short secret', async () => {
    const a = await run(['serve', '--port', '0', '--memory', '--jwt-secret-file', join(dir, 'missing')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--jwt-secret-file cannot read ".*missing" \(ENOENT\)/);
    const b = await run(['serve', '--port', '0', '--memory'], { env: { TIDINGS_JWT_SECRET: 'short' } });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^tidings serve: Auth option jwt.secret is 5 bytes; HS256 needs at least 32/);
    expect(b.stderr).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
  });

  it('lists the security flags in --help', async () => {
    const r = await run(['serve', '--help']);
    for (const f of [
      '--dev',
      '--jwt-secret-file',
      '--jwt-public-key',
      '--jwks-file',
      '--publisher-key-file',
      '--max-token-lifetime',
      '--cors-origin',
      '--max-connections-per-user',
      '--publish-rate',
      '--max-header-size',
      '--first-byte-timeout',
    ]) {
      expect(r.stdout).toContain(f);
    }
  });

  it('serves token holders and the backend, refuses anonymous clients, and keeps query tokens out of its logs', async () => {
    const hub = await serve([
      '--memory',
      '--log-level',
      'debug',
      '--jwt-secret-file',
      join(dir, 'secret'),
      '--publisher-key-file',
      join(dir, 'key'),
      '--first-byte-timeout',
      '300ms',
    ]);
    started.push(hub);
    const anon = await run(['publish', '--url', hub.url, 'news', 't', '1']);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toMatch(/401 \(unauthorized\): This hub requires authentication/);

    const reader = await token({ sub: 'u1', tidings: { subscribe: ['news'] } });
    // The same token in the query string (as EventSource sends it), and a bad one: neither may be logged.
    const viaQuery = await fetch(`${hub.url}/events?topic=news&token=${reader}`);
    expect(viaQuery.status).toBe(200);
    await viaQuery.body?.cancel();
    const badToken = `${reader.slice(0, -12)}AAAA${reader.slice(-8)}`;
    expect((await fetch(`${hub.url}/events?topic=news&token=${badToken}`)).status).toBe(401);
    expect((await fetch(`${hub.url}/events?topic=secret&token=${reader}`)).status).toBe(403);
    const connections = async () =>
      ((await (await fetch(`${hub.url}/healthz`)).json()) as { connections: number }).connections;
    // Wait for the query-token stream to be gone, so the count below is the CLI subscriber's.
    for (let i = 0; (await connections()) > 0; i++) {
      if (i > 500) throw new Error('the cancelled stream never closed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const sub = run(['subscribe', '--url', hub.url, '--json', '--count', '1', '--token', reader, 'news']);
    for (let i = 0; (await connections()) < 1; i++) {
      if (i > 500) throw new Error('tidings subscribe never connected');
      await new Promise((r) => setTimeout(r, 20));
    }
    const pub = await run(['publish', '--url', hub.url, '--token', KEY, 'news', 'headline', '{"a":1}']);
    expect(pub.code).toBe(0);
    const got = await sub;
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: pub.stdout.trim(), topic: 'news', data: { a: 1 } });

    // The hub applies its slowloris settings: an idle socket gets a JSON 408.
    const port = Number(new URL(hub.url).port);
    const idle = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let buf = '';
      s.on('data', (d) => {
        buf += d;
      });
      s.on('close', () => resolve(buf));
      s.on('error', () => resolve(buf));
    });
    expect(idle).toMatch(/^HTTP\/1.1 408 /);
    expect(idle).toContain('"code":"request-timeout"');

    expect(hub.output()).toMatch(/stream opened/); // debug logs are on, so the check below can fail
    expect(hub.output()).not.toContain(reader);
    expect(hub.output()).not.toContain(badToken);
    expect(hub.output()).not.toContain(KEY);
    expect(hub.output()).not.toContain(SECRET);
  });

  it('keeps a user logout in every worker and across a restart (revocations.db), for tokens that never connected, until they expire', async () => {
    const data = join(dir, 'logout-data');
    const args = [
      '--data',
      data,
      '--workers',
      '2',
      '--jwt-secret-file',
      join(dir, 'secret'),
      '--publisher-key-file',
      join(dir, 'key'),
      '--max-token-lifetime',
      '2h',
    ];
    let hub = await serve(args);
    started.push(hub);
    const stale = await token({ sub: 'u-out', tidings: { subscribe: ['news'] } });
    // Each request on a connection of its own, so the workers take turns answering.
    const status = async (t: string) => {
      const res = await fetch(`${hub.url}/events?topic=news&token=${t}`, {
        headers: { connection: 'close' },
      });
      const body = res.status === 200 ? undefined : ((await res.json()) as { error: { message: string } });
      if (res.status === 200) await res.body?.cancel();
      return { status: res.status, message: body?.error.message };
    };
    expect((await status(stale)).status).toBe(200);
    const out = await fetch(`${hub.url}/disconnect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ user: 'u-out' }),
    });
    expect(out.status).toBe(200);
    const refused = {
      status: 401,
      message:
        'This user was logged out by the server after this token was issued; sign in again to get a new token.',
    };
    for (let i = 0; i < 6; i++) expect(await status(stale)).toEqual(refused);
    hub.proc.kill('SIGTERM');
    await hub.exited;
    hub = await serve(args);
    started.push(hub);
    for (let i = 0; i < 4; i++) expect(await status(stale)).toEqual(refused);
    // Tokens longer-lived than --max-token-lifetime are refused outright: a logout could not outlast them.
    const long = await new SignJWT({ sub: 'u2', tidings: { subscribe: ['news'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('3h')
      .sign(new TextEncoder().encode(SECRET));
    expect((await status(long)).status).toBe(401);
    // A token issued after the logout (iat has whole seconds) works.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    expect((await status(await token({ sub: 'u-out', tidings: { subscribe: ['news'] } }))).status).toBe(200);
  });
});
