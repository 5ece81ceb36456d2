import { Redis } from 'ioredis';
import { type JWTPayload, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisEngine, redisEngine } from '../../src/engines/redis/index.js';
import { mint, PUBLISHER_KEY, SECRET, subscribeStatus } from '../auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { needRedisServer, OwnRedis, uniquePrefix } from '../services.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';

/**
 * Redis restarting under a cluster of two hubs: emptied (no persistence), with an fsync-always
 * AOF, flushed while running, or down. Each case runs its own redis-server (never the shared one)
 * and checks what was acknowledged against what subscribers got, and that revocations hold.
 */
const hasServer = needRedisServer(import.meta.url);

const auth = { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY };
const grant = { subscribe: ['room/**', 'tenant/{tenant}/**'] };
const key = { authorization: `Bearer ${PUBLISHER_KEY}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const REVOKED_TOKEN = 'This token was logged out by the server; sign in again to get a new token.';
const REVOKED_SESSION = 'This session was logged out by the server; sign in again to get a new token.';
const REVOKED_USER =
  'This user was logged out by the server after this token was issued; sign in again to get a new token.';

type Node = RunningHub & { engine: RedisEngine };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** Two hubs (or more, with `node()`) sharing one private Redis. */
async function cluster(opts: { persist?: boolean } = {}) {
  const redis = await OwnRedis.start({ persist: opts.persist ?? false });
  cleanups.push(() => redis.destroy());
  const keyPrefix = uniquePrefix('recovery');
  async function node(): Promise<Node> {
    const engine = redisEngine(redis.url, { keyPrefix, revocationSyncMs: 100, commandTimeoutMs: 2000 });
    await engine.ready(10_000);
    const h = await startHub({ engine, auth, heartbeatMs: 200, retryMs: 50 });
    cleanups.push(() => h.close());
    return Object.assign(h, { engine });
  }
  const a = await node();
  const b = await node();
  return { redis, a, b, node, keyPrefix };
}

/**
 * Kills Redis (a crash) and starts it again on the same port; waits for both nodes to be back.
 * Returns the moment Redis was gone: a publish sent after it can only be stored by the new Redis.
 */
async function crashAndRestart(redis: OwnRedis, nodes: Node[], downMs = 300): Promise<number> {
  await redis.stop('SIGKILL');
  const downAt = performance.now();
  await sleep(downMs);
  await redis.start();
  for (const n of nodes) await n.engine.ready(15_000);
  return downAt;
}

/**
 * A subscriber that behaves like the client library: on every end of its stream it reconnects
 * with the last id it holds (the last event's, or the one `connected` announced), and it counts
 * the resets. Keeps every event it got, duplicates included, so the ledger can catch them.
 */
class Resumer {
  readonly got: Array<{ id: string; n: number; topic: string }> = [];
  readonly refusals: number[] = [];
  resets = 0;
  opens = 0;
  private last: string | undefined;
  private reader: StreamReader | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly base: string,
    private readonly topics: string[],
    private readonly token: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let r: StreamReader;
      try {
        r = await StreamReader.open(this.base, this.topics, {
          query: { token: this.token },
          ...(this.last !== undefined && { lastEventId: this.last }),
        });
      } catch {
        await sleep(50);
        continue;
      }
      if (r.response.status !== 200) {
        this.refusals.push(r.response.status);
        await r.close();
        await sleep(50);
        continue;
      }
      this.reader = r;
      this.opens++;
      let seen = 0;
      for (;;) {
        while (seen < r.frames.length) this.take(r.frames[seen++] as StreamReader['frames'][number]);
        if (r.ended || this.stopped) break;
        await sleep(5);
      }
      while (seen < r.frames.length) this.take(r.frames[seen++] as StreamReader['frames'][number]);
      await r.close();
      await sleep(20);
    }
  }

  private take(f: StreamReader['frames'][number]): void {
    if (f.event === 'connected') {
      const c = JSON.parse(f.data) as { lastEventId?: string };
      if (typeof c.lastEventId === 'string' && c.lastEventId !== '') this.last = c.lastEventId;
      return;
    }
    if (f.event === 'reset') {
      this.resets++;
      return;
    }
    if (f.id === undefined) return;
    const e = JSON.parse(f.data) as { topic: string; data: { n: number } };
    this.got.push({ id: f.id, n: e.data.n, topic: e.topic });
    this.last = f.id;
  }

  ids(): string[] {
    return this.got.map((g) => g.id);
  }

  async waitOpen(): Promise<void> {
    await until(
      () => this.opens > 0 && this.last !== undefined,
      10_000,
      () => 'the subscriber never opened',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reader?.close();
    await this.loop;
  }
}

/** Publishes `{n}` to a topic through one node as fast as the answers come, keeping a ledger. */
class Publisher {
  /** Acknowledged publishes in order, with when each was sent (ids are opaque: no position). */
  readonly acked: Array<{ n: number; id: string; sentAt: number }> = [];
  readonly refused: Array<{ status: number; message: string; retryAfter: string | null }> = [];
  private n = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly base: string,
    readonly topic: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const n = ++this.n;
      const sentAt = performance.now();
      const res = await post(
        this.base,
        { topic: this.topic, type: 'tick', data: { n } },
        { headers: key },
      ).catch(() => undefined);
      if (res && res.status >= 200 && res.status < 300) {
        const id = res.body.id as string;
        this.acked.push({ n, id, sentAt });
      } else if (res) {
        this.refused.push({
          status: res.status,
          message: res.body?.error?.message,
          retryAfter: res.headers.get('retry-after'),
        });
        await sleep(20);
      }
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/**
 * Checks a subscriber's order against the ledger: per topic (the order the hub promises), the
 * acknowledged events it got appear in publish order, each once.
 */
function expectPublishOrder(s: Resumer, publishers: Publisher[], acked: ReadonlySet<string>): void {
  for (const p of publishers) {
    const mine = new Set(p.acked.map((e) => e.id));
    const got = s.ids().filter((id) => mine.has(id) && acked.has(id));
    expect(got).toEqual(p.acked.filter((e) => acked.has(e.id)).map((e) => e.id));
  }
}

/** What a refused publish during an outage may say: the Redis sentence, nothing else. */
const OUTAGE =
  /^Redis at redis:\/\/127\.0\.0\.1:\d+ (is unreachable.*, so|did not answer in time .*, so) (the event was not stored|the publish may or may not have been stored \(publish again with the same "id" to be sure\))\. Retry in a moment\.$/;

async function openToken(sub: string, extra: Record<string, unknown> = {}, o = {}): Promise<string> {
  return mint({ sub, tidings: grant, ...extra }, o);
}

/** Signs exactly `payload` (no `iat` or `exp` added), for tokens `mint` would date itself. */
function sign(payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

/** Waits until the next whole second, so a token minted then has an `iat` after a logout. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

describe.skipIf(!hasServer)('attack: Redis restarting under a two-node cluster', { timeout: 60_000 }, () => {
  it('Redis restarted empty while two publishers publish: every event acknowledged after the recovery reaches the subscribers on both nodes, after a reset', async () => {
    const { redis, a, b } = await cluster();
    const token = await openToken('watcher');
    const onA = new Resumer(a.url, ['room/**'], token);
    const onB = new Resumer(b.url, ['room/**'], token);
    cleanups.push(
      () => onA.stop(),
      () => onB.stop(),
    );
    await onA.waitOpen();
    await onB.waitOpen();
    const pa = new Publisher(a.url, 'room/a');
    const pb = new Publisher(b.url, 'room/b');
    await sleep(400);
    expect(pa.acked.length + pb.acked.length).toBeGreaterThan(0);
    const downAt = await crashAndRestart(redis, [a, b]);
    await sleep(2000);
    await pa.stop();
    await pb.stop();

    const all = [...pa.acked, ...pb.acked];
    const after = all.filter((e) => e.sentAt > downAt);
    expect(after.length).toBeGreaterThan(5);
    for (const s of [onA, onB]) {
      await until(
        () => after.every((e) => s.ids().includes(e.id)),
        15_000,
        () =>
          `a subscriber got ${after.filter((e) => s.ids().includes(e.id)).length} of ${after.length} events acknowledged after the recovery`,
      );
      // Told of the loss, then every new event once, in position order.
      expect(s.resets).toBeGreaterThanOrEqual(1);
      expect(new Set(s.ids()).size).toBe(s.ids().length);
      expectPublishOrder(s, [pa, pb], new Set(after.map((e) => e.id)));
    }
    // Nothing but the Redis sentence during the outage.
    for (const r of [...pa.refused, ...pb.refused]) {
      expect(r.status).toBe(503);
      expect(r.message).toMatch(OUTAGE);
      expect(r.retryAfter).toBe('1');
    }
  });

  it('Redis restarted with an fsync-always AOF while two publishers publish: every acknowledged event reaches both nodes once, in order, with no reset and no reconnect', async () => {
    const { redis, a, b } = await cluster({ persist: true });
    const token = await openToken('watcher');
    const onA = new Resumer(a.url, ['room/**'], token);
    const onB = new Resumer(b.url, ['room/**'], token);
    cleanups.push(
      () => onA.stop(),
      () => onB.stop(),
    );
    await onA.waitOpen();
    await onB.waitOpen();
    const pa = new Publisher(a.url, 'room/a');
    const pb = new Publisher(b.url, 'room/b');
    await sleep(400);
    await crashAndRestart(redis, [a, b]);
    await sleep(1000);
    await pa.stop();
    await pb.stop();

    const all = [...pa.acked, ...pb.acked];
    for (const s of [onA, onB]) {
      await until(
        () => all.every((e) => s.ids().includes(e.id)),
        15_000,
        () =>
          `a subscriber got ${all.filter((e) => s.ids().includes(e.id)).length} of ${all.length} acknowledged events`,
      );
      expect(s.resets).toBe(0);
      expect(s.opens).toBe(1);
      expect(new Set(s.ids()).size).toBe(s.ids().length);
      expectPublishOrder(s, [pa, pb], new Set(all.map((e) => e.id)));
    }
    for (const r of [...pa.refused, ...pb.refused]) expect(r.message).toMatch(OUTAGE);
  });

  it('Redis flushed under running nodes (FLUSHALL, no restart): streams get reset, then every later acknowledged event', async () => {
    const { redis, a, b } = await cluster();
    const token = await openToken('watcher');
    const onA = new Resumer(a.url, ['room/**'], token);
    const onB = new Resumer(b.url, ['room/**'], token);
    cleanups.push(
      () => onA.stop(),
      () => onB.stop(),
    );
    await onA.waitOpen();
    await onB.waitOpen();
    const pa = new Publisher(a.url, 'room/a');
    await sleep(300);
    const admin = new Redis(redis.url);
    await admin.flushall();
    const flushedAt = performance.now();
    admin.disconnect();
    await sleep(1500);
    await pa.stop();
    const after = pa.acked.filter((e) => e.sentAt > flushedAt);
    expect(after.length).toBeGreaterThan(5);
    for (const s of [onA, onB]) {
      await until(
        () => after.every((e) => s.ids().includes(e.id)),
        15_000,
        () => 'events after the flush are missing',
      );
      expect(s.resets).toBeGreaterThanOrEqual(1);
      expect(new Set(s.ids()).size).toBe(s.ids().length);
    }
  });

  it('a forced logout survives Redis restarting empty: the revoked token gets 401 on both nodes and on a node started afterwards', async () => {
    const { redis, a, b, node } = await cluster();
    const token = await openToken('mallory', { sid: 'm-1' }, { jti: 'mallory-1' });
    const stream = await StreamReader.open(a.url, ['room/x'], { query: { token } });
    cleanups.push(() => stream.close());
    expect(stream.response.status).toBe(200);
    await until(() => a.hub.connections().length === 1);
    const r = await post(a.url, { session: 'm-1' }, { path: '/disconnect', headers: key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ disconnected: 1 });
    await stream.waitFor((s) => s.ended);
    await sleep(300); // node b's copy learns it

    await crashAndRestart(redis, [a, b]);
    for (const n of [a, b]) {
      const res = await subscribeStatus(n.url, ['room/x'], { token });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'token-revoked', message: REVOKED_TOKEN });
    }
    // A node with no copy of its own sees it once the others wrote it back.
    const c = await node();
    const res = await subscribeStatus(c.url, ['room/x'], { token });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(REVOKED_TOKEN);
    // Another token of the same session is refused too.
    const sibling = await openToken('mallory', { sid: 'm-1' });
    const s2 = await subscribeStatus(c.url, ['room/x'], { token: sibling });
    expect(s2.status).toBe(401);
    expect(s2.body.error.message).toBe(REVOKED_SESSION);
  });

  it("a user logout refuses that user's unconnected tokens on every node, through a Redis restart, while a token issued afterwards works", async () => {
    const { redis, a, b, node } = await cluster();
    const stale = await openToken('eve');
    const r = await post(b.url, { user: 'eve' }, { path: '/disconnect', headers: key });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ disconnected: 0 });
    for (const n of [a, b]) {
      const res = await subscribeStatus(n.url, ['room/x'], { token: stale });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'token-revoked', message: REVOKED_USER });
    }
    await sleep(300);
    await crashAndRestart(redis, [a, b]);
    const c = await node();
    for (const n of [a, b, c]) {
      const res = await subscribeStatus(n.url, ['room/x'], { token: stale });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe(REVOKED_USER);
    }
    // The logout is not a ban: a token issued after it works (iat has whole seconds).
    await nextSecond();
    const fresh = await openToken('eve');
    expect((await subscribeStatus(c.url, ['room/x'], { token: fresh })).status).toBe(200);
    // Another user of the same name in a tenant is covered too: the logout named no tenant.
    const now = Math.floor(Date.now() / 1000);
    const tenantStale = await sign({
      sub: 'eve',
      tenant: 't1',
      tidings: grant,
      iat: now - 5,
      exp: now + 600,
    });
    expect((await subscribeStatus(a.url, ['room/x'], { token: tenantStale })).status).toBe(401);
  });

  it('a revoked token gets 401 even while Redis is down (the node answers from its copy), not a 503', async () => {
    const { redis, a, b } = await cluster();
    const token = await openToken('trudy', {}, { jti: 'trudy-1' });
    const stream = await StreamReader.open(b.url, ['room/x'], { query: { token } });
    cleanups.push(() => stream.close());
    await until(() => b.hub.connections().length === 1);
    expect((await post(b.url, { user: 'trudy' }, { path: '/disconnect', headers: key })).status).toBe(200);
    await sleep(300);
    await redis.stop('SIGKILL');
    for (const n of [a, b]) {
      const res = await subscribeStatus(n.url, ['room/x'], { token });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe(REVOKED_TOKEN);
    }
  });

  it('a token the nodes know nothing about gets 503 with the Redis sentence while Redis is down', async () => {
    const { redis, a } = await cluster();
    const token = await openToken('alice');
    await redis.stop('SIGKILL');
    await until(() => a.engine.revocations.link.knownDown, 5000);
    const res = await subscribeStatus(a.url, ['room/x'], { token });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable.*, so revocations cannot be checked\. Retry in a moment\.$/,
    );
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('a publish while Redis is down gets 503, the Redis sentence and Retry-After; the first one after it is back is delivered', async () => {
    const { redis, a, b } = await cluster();
    const onB = await StreamReader.open(b.url, ['room/p'], { headers: key });
    cleanups.push(() => onB.close());
    await onB.waitFor((r) => r.of('connected').length === 1);
    await redis.stop('SIGKILL');
    await until(() => a.engine.store.link.knownDown, 5000);
    const res = await post(a.url, { topic: 'room/p', type: 't', data: 1 }, { headers: key });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable.*, so the event was not stored\. Retry in a moment\.$/,
    );
    expect(res.headers.get('retry-after')).toBe('1');
    await redis.start();
    await a.engine.ready(15_000);
    await b.engine.ready(15_000);
    const ok = await post(a.url, { topic: 'room/p', type: 't', data: 2 }, { headers: key });
    expect(ok.status).toBe(201);
    // b's stream was closed for the lost history and is not coming back by itself here; a
    // resume from its announced id gets the reset and the new event.
    await onB.waitFor((r) => r.ended, 10_000);
    const announced = JSON.parse(onB.of('connected')[0]?.data ?? '{}').lastEventId as string;
    const again = await StreamReader.open(b.url, ['room/p'], { headers: key, lastEventId: announced });
    cleanups.push(() => again.close());
    await again.waitForEvents(1, 10_000);
    expect(again.of('reset')).toHaveLength(1);
    expect(again.events.map((e) => e.id)).toEqual([ok.body.id]);
  });

  it('a forced logout while Redis is down closes the streams at once, answers 503, and holds once Redis is back empty', async () => {
    const { redis, a, b } = await cluster();
    const token = await openToken('oscar', {}, { jti: 'oscar-1' });
    const stream = await StreamReader.open(a.url, ['room/x'], { query: { token } });
    cleanups.push(() => stream.close());
    await until(() => a.hub.connections().length === 1);
    // Live before Redis goes: a stream still catching up when Redis dies closes with `error`
    // (its client resumes), which is not what this case is about.
    expect((await post(b.url, { topic: 'room/x', type: 't', data: { n: 1 } }, { headers: key })).status).toBe(
      201,
    );
    await stream.waitForEvents(1);
    await redis.stop('SIGKILL');
    await until(() => a.engine.revocations.link.knownDown, 5000);
    const r = await post(a.url, { user: 'oscar' }, { path: '/disconnect', headers: key });
    expect(r.status).toBe(503);
    expect(r.body.error.message).toMatch(
      /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable.*Retry in a moment\.$/,
    );
    await stream.waitFor((s) => s.ended, 5000);
    expect(stream.of('force-logout')).toHaveLength(1);
    await redis.start();
    await a.engine.ready(15_000);
    await b.engine.ready(15_000);
    // Node a wrote its copy back: node b, which never heard of the logout, refuses the token.
    const end = Date.now() + 10_000;
    let res = await subscribeStatus(b.url, ['room/x'], { token });
    while (res.status !== 401 && Date.now() < end) {
      await sleep(100);
      res = await subscribeStatus(b.url, ['room/x'], { token });
    }
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(REVOKED_TOKEN);
  });

  it('a resume with a supplied id of the lost history gets reset, then every event published since Redis came back', async () => {
    const { redis, a, b } = await cluster();
    const reader = await StreamReader.open(a.url, ['room/s'], { headers: key });
    cleanups.push(() => reader.close());
    expect(
      (await post(b.url, { topic: 'room/s', type: 't', data: { n: 0 }, id: 'order-1' }, { headers: key }))
        .status,
    ).toBe(201);
    await reader.waitForEvents(1);
    await crashAndRestart(redis, [a, b]);
    const sent: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const res = await post(b.url, { topic: 'room/s', type: 't', data: { n } }, { headers: key });
      expect(res.status).toBe(201);
      sent.push(res.body.id);
    }
    await reader.waitFor((r) => r.ended, 10_000);
    for (const n of [a, b]) {
      const again = await StreamReader.open(n.url, ['room/s'], { headers: key, lastEventId: 'order-1' });
      cleanups.push(() => again.close());
      await again.waitForEvents(5, 10_000);
      expect(again.frames.findIndex((f) => f.event === 'reset')).toBeLessThan(
        again.frames.findIndex((f) => f.id !== undefined),
      );
      expect(again.of('reset')).toHaveLength(1);
      expect(JSON.parse(again.of('reset')[0]?.data ?? '{}')).toEqual({
        reason: 'unknown-id',
        lastEventId: 'order-1',
      });
      expect(again.events.map((e) => e.id)).toEqual(sent);
    }
  });

  it('a WebSocket subscriber cut by Redis restarting empty (close 4010) resumes with its last id: reset, then every event of the new history', async () => {
    const { redis, a, b } = await cluster();
    const ws = await WsPeer.open(a.url, ['room/w'], { headers: key });
    cleanups.push(async () => ws.close());
    const first = await post(b.url, { topic: 'room/w', type: 't', data: { n: 0 } }, { headers: key });
    expect(first.status).toBe(201);
    await ws.waitForEvents(1);
    await crashAndRestart(redis, [a, b]);
    const sent: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const res = await post(b.url, { topic: 'room/w', type: 't', data: { n } }, { headers: key });
      expect(res.status).toBe(201);
      sent.push(res.body.id);
    }
    expect((await ws.waitClosed(10_000)).code).toBe(4010);
    const again = await WsPeer.open(a.url, ['room/w'], {
      headers: key,
      query: { lastEventId: first.body.id },
    });
    cleanups.push(async () => again.close());
    await again.waitForEvents(4, 10_000);
    expect(again.messages.filter((m) => m.op === 'reset')).toEqual([
      { op: 'reset', reason: 'unknown-id', lastEventId: first.body.id },
    ]);
    expect(again.messages.findIndex((m) => m.op === 'reset')).toBeLessThan(
      again.messages.findIndex((m) => m.op === 'event'),
    );
    expect(again.ids()).toEqual(sent);
  });

  it('a forged id (an old-style <epoch>.<pos>, decoded by no key) gets a plain reset, replays nothing, and costs a bystander nothing', async () => {
    const { a, b } = await cluster();
    const innocent = await Innocent.open(a.url, { topic: 'room/innocent', headers: key });
    cleanups.push(() => innocent.close());
    await innocent.publish();
    const secret = await post(
      b.url,
      { topic: 'tenant/acme/payroll', type: 't', data: { n: 1 } },
      { headers: key },
    );
    expect(secret.status).toBe(201);
    const own = await post(b.url, { topic: 'tenant/evil/x', type: 't', data: { n: 2 } }, { headers: key });
    const token = await mint({ sub: 'mallory', tenant: 'evil', tidings: grant });
    const forged = await StreamReader.open(a.url, ['tenant/evil/**'], {
      query: { token },
      lastEventId: 'zzzzzz.1-0',
    });
    cleanups.push(() => forged.close());
    expect(forged.response.status).toBe(200);
    await forged.waitFor((r) => r.of('reset').length === 1);
    await sleep(300);
    // Generated ids are encrypted: a made-up one names no position, so nothing is replayed.
    expect(forged.events).toEqual([]);
    const later = await post(b.url, { topic: 'tenant/evil/x', type: 't', data: { n: 3 } }, { headers: key });
    expect(later.status).toBe(201);
    await forged.waitForEvents(1, 5000);
    expect(forged.events.map((e) => e.id)).toEqual([later.body.id]);
    expect(forged.events.map((e) => e.id)).not.toContain(own.body.id);
    expect(forged.of('reset')).toHaveLength(1);
    // Asking for the other tenant outright is refused, whatever the id.
    const other = await subscribeStatus(a.url, ['tenant/acme/**'], {
      token,
      headers: { 'last-event-id': 'zzzzzz.1-0' },
    });
    expect(other.status).toBe(403);
    await innocent.assertUnharmed();
  });

  it('a token that lives longer than the longest lifetime the hub accepts gets 401 (it would outlive a logout), and costs a bystander nothing', async () => {
    const { a } = await cluster();
    const innocent = await Innocent.open(a.url, { topic: 'room/innocent', headers: key });
    cleanups.push(() => innocent.close());
    await innocent.publish();
    const longLived = await openToken('mallory', {}, { expIn: 30 * 86_400 });
    const res = await subscribeStatus(a.url, ['room/x'], { token: longLived });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({
      code: 'invalid-token',
      message:
        'The token is valid for 720 h (from "iat" to "exp"), longer than this hub accepts (24 h); issue tokens that expire sooner, or raise the auth option maxTokenLifetimeMs (--max-token-lifetime for tidings serve).',
    });
    await innocent.assertUnharmed();
  });

  it('a token without "iat" (which a logout could not date) gets 401', async () => {
    const { a } = await cluster();
    const token = await sign({ sub: 'mallory', tidings: grant, exp: Math.floor(Date.now() / 1000) + 600 });
    const res = await subscribeStatus(a.url, ['room/x'], { token });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(
      'The token has no "iat" claim; the hub requires "exp" and "sub" and "iat".',
    );
  });

  it('a token dated in the future (to slip past a logout cut-off) gets 401', async () => {
    const { a } = await cluster();
    const now = Math.floor(Date.now() / 1000);
    const token = await sign({ sub: 'mallory', tidings: grant, iat: now + 3600, exp: now + 7200 });
    const res = await subscribeStatus(a.url, ['room/x'], { token });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe(
      'The token\'s "iat" lies in the future; check the clocks of the hub and the token issuer.',
    );
  });

  it('a stream opened while Redis is down gets 503 at once and nothing hangs; after the restart, streams and publishes work on both nodes', async () => {
    const { redis, a, b } = await cluster();
    await redis.stop('SIGKILL');
    await until(() => a.engine.store.link.knownDown, 5000);
    const started = Date.now();
    const res = await subscribeStatus(a.url, ['room/h'], { headers: key });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/so the stream has no position to start from\./);
    expect(Date.now() - started).toBeLessThan(2000);
    await redis.start();
    await a.engine.ready(15_000);
    await b.engine.ready(15_000);
    const reader = await StreamReader.open(b.url, ['room/h'], { headers: key });
    cleanups.push(() => reader.close());
    await reader.waitFor((r) => r.of('connected').length === 1);
    // b may still be closing streams for the lost history: a resumer would come back; this one
    // only needs the publish to reach some open stream on b.
    const ok = await post(a.url, { topic: 'room/h', type: 't', data: 1 }, { headers: key });
    expect(ok.status).toBe(201);
    await reader.waitFor((r) => r.events.length === 1 || r.ended, 10_000);
    if (reader.ended) {
      const again = await StreamReader.open(b.url, ['room/h'], {
        headers: key,
        lastEventId: JSON.parse(reader.of('connected')[0]?.data ?? '{}').lastEventId,
      });
      cleanups.push(() => again.close());
      await again.waitForEvents(1, 10_000);
      expect(again.events.map((e) => e.id)).toEqual([ok.body.id]);
    } else {
      expect(reader.events.map((e) => e.id)).toEqual([ok.body.id]);
    }
  });
});
