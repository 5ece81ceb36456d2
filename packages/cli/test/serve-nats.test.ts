import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StreamReader } from '../../server/test/helpers.js';
import {
  deleteNatsPrefix,
  needNats,
  needNatsServer,
  OwnNats,
  uniqueNatsPrefix,
} from '../../server/test/nats-services.js';
import { run, type ServeProcess, serve } from './spawn-cli.js';

/**
 * `tidings serve --nats` processes on real sockets and a real NATS JetStream: the shared one
 * (a prefix per run), or a private nats-server without JetStream for the configuration error.
 */
const natsUrl = await needNats(import.meta.url);
const ownNats = natsUrl !== undefined && needNatsServer(import.meta.url);

const closers: Array<() => Promise<void> | void> = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(async () => {
  if (natsUrl) for (const p of prefixes) await deleteNatsPrefix(natsUrl, p);
});

const SECRET = 'nats-test-secret-0123456789-abcdefghijklm';
const KEY = 'nats-publisher-key-0123456789abcdef';
const token = (claims: Record<string, unknown>) =>
  new SignJWT({ tidings: { subscribe: ['news'] }, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

async function publish(node: ServeProcess, data: unknown): Promise<string> {
  const res = await fetch(`${node.url}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ topic: 'news', type: 't', data }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe.skipIf(!natsUrl)('tidings serve --nats', () => {
  it('runs nodes as one hub with the retention and auth flags of the other engines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-nats-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'secret'), SECRET);
    writeFileSync(join(dir, 'key'), KEY);
    const prefix = uniqueNatsPrefix('serve');
    prefixes.push(prefix);
    const nodes = await Promise.all(
      ['n0', 'n1'].map((id) =>
        serve([
          '--nats',
          natsUrl as string,
          '--nats-prefix',
          prefix,
          '--node-id',
          id,
          '--retention-events',
          '3',
          '--heartbeat',
          '300ms',
          '--jwt-secret-file',
          join(dir, 'secret'),
          '--publisher-key-file',
          join(dir, 'key'),
        ]),
      ),
    );
    closers.push(() => {
      for (const n of nodes) n.proc.kill('SIGKILL');
    });
    const [a, b] = nodes as [ServeProcess, ServeProcess];
    const health = await (await fetch(`${b.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', store: 'nats', broker: 'nats' });

    const ann = await token({ sub: 'ann', jti: 'j-1' });
    const onB = await StreamReader.open(b.url, ['news'], { query: { token: ann } });
    closers.push(() => onB.close());
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await publish(a, i));
    await onB.waitForEvents(5);
    expect(onB.events.map((e) => e.id)).toEqual(sent);

    // --retention-events 3: a resume from the first event lost two, and is told so.
    const late = await StreamReader.open(b.url, ['news'], {
      query: { token: ann },
      lastEventId: sent[0],
    });
    closers.push(() => late.close());
    await late.waitFor((r) => r.of('reset').length > 0);
    expect(JSON.parse(late.of('reset')[0]?.data ?? '{}')).toMatchObject({ reason: 'history-truncated' });

    // A user logged out through node A is refused on node B, whose stream ends.
    const res = await fetch(`${a.url}/disconnect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ user: 'ann' }),
    });
    expect(res.status).toBe(200);
    await onB.waitFor((r) => r.ended, 10_000);
    const again = await fetch(`${b.url}/events?topic=news&token=${ann}`);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('token-revoked');
  }, 60_000);

  it('refuses bad configuration with a sentence that says what to do', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--nats', 'nats://127.0.0.1:4222', '--redis', 'redis://127.0.0.1:6379'],
        /--nats and --redis exclude each other/,
      ],
      [['--nats', 'nats://127.0.0.1:4222', '--memory'], /--nats and --memory exclude each other/],
      [
        ['--nats', 'nats://127.0.0.1:4222', '--redis-cluster', 'redis://127.0.0.1:7000'],
        /--nats and --redis-cluster exclude each other/,
      ],
      [
        ['--nats', 'redis://127.0.0.1:6379'],
        /is a Redis URL; pass it to --redis, or give NATS as nats:\/\/host:4222/,
      ],
      [['--nats', '127.0.0.1:4222'], /is not a URL; give NATS as nats:\/\/host:4222/],
      [['--nats', 'http://127.0.0.1:4222'], /The NATS URL must start with nats:\/\/ or tls:\/\//],
      [['--nats', 'nats://127.0.0.1:4222', '--nats-prefix', 'a.b'], /must be 1 to 32 letters, digits/],
      [['--nats-prefix', 'x'], /--nats-prefix only applies with --nats\./],
      [['--presence-ttl', '5s'], /--presence-ttl only applies with --redis, --redis-cluster or --nats\./],
    ];
    const results = await Promise.all(
      cases.map(([args]) => run(['serve', '--dev', '--port', '0', ...args], { timeoutMs: 45_000 })),
    );
    cases.forEach(([args, message], i) => {
      expect(results[i]?.code, args.join(' ')).toBe(2);
      expect(results[i]?.stderr, args.join(' ')).toMatch(message);
    });
  }, 60_000);
});

describe.skipIf(!ownNats)('tidings serve --nats against a NATS without JetStream', () => {
  it('stops with a sentence saying to enable JetStream', async () => {
    const plain = await OwnNats.start({ jetstream: false });
    closers.push(() => plain.destroy());
    const r = await run(['serve', '--dev', '--port', '0', '--nats', plain.url], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not have JetStream enabled; start nats-server with -js/);
  });
});
