import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GeneratedIds } from '../../src/engines/generated-ids.js';
import { redisEngine } from '../../src/engines/redis/index.js';
import { type HubOptions, memoryStore, sqliteStore } from '../../src/index.js';
import { mint, PUBLISHER_KEY, SECRET } from '../auth-helpers.js';
import { type Frame, post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { MercureReader, mercureToken, publishForm } from '../mercure-helpers.js';
import { deleteRedisKeys, needRedis, uniquePrefix } from '../services.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';

/**
 * Event ids under attack (issue 17, item 1): one JWT hub with two tenants, a, and b, whose users
 * try to read, pre-empt and probe each other's events through ids: by publishing them, resuming
 * from them over SSE, WebSocket and Mercure, and by reading the hub's generated ids. The same
 * cases run on every store the hub can use.
 */

const redisUrl = await needRedis(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'tidings-ids-attack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tenants read their tenant's topics and their own; they publish to their tenant and a shared board. */
const grant = {
  subscribe: ['tenant/{tenant}/**', 'user/{sub}/**', 'shared/**'],
  publish: ['tenant/{tenant}/**', 'shared/**'],
};
const tok = (sub: string, tenant: string) => mint({ sub, tenant, tidings: grant });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const BACKEND = bearer(PUBLISHER_KEY);
/** The answer a supplied id that never existed gets. */
const NEVER = 'never-issued-0000';

const engines: Array<[string, () => Promise<{ options: HubOptions; cleanup: () => Promise<void> }>]> = [
  ['memory', async () => ({ options: { store: memoryStore() }, cleanup: async () => {} })],
  [
    'sqlite',
    async () => ({
      options: { store: sqliteStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) }) },
      cleanup: async () => {},
    }),
  ],
];
if (redisUrl) {
  engines.push([
    'redis',
    async () => {
      const keyPrefix = uniquePrefix('ids-attack');
      const engine = redisEngine(redisUrl, { keyPrefix });
      await engine.ready();
      return { options: { engine }, cleanup: () => deleteRedisKeys(redisUrl, keyPrefix) };
    },
  ]);
}

describe.each(engines)('ids under attack (%s)', (_name, makeEngine) => {
  let h: RunningHub;
  let cleanup: () => Promise<void>;
  let alice: string; // tenant a
  let amy: string; // tenant a, another user
  let bob: string; // tenant b
  let twin: string; // tenant b, with alice's `sub`
  let carol: string; // tenant c: the innocent bystander's
  const open: Array<{ close(): unknown }> = [];
  let innocent: Innocent;

  beforeAll(async () => {
    const engine = await makeEngine();
    cleanup = engine.cleanup;
    h = await startHub({
      ...engine.options,
      auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY },
      mercure: { publisherJwt: { secret: SECRET }, subscriberJwt: { secret: SECRET } },
    });
    [alice, amy, bob, twin, carol] = await Promise.all([
      tok('alice', 'a'),
      tok('amy', 'a'),
      tok('bob', 'b'),
      tok('alice', 'b'),
      tok('carol', 'c'),
    ]);
  });
  afterAll(async () => {
    await h.close();
    await cleanup();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    await innocent?.close();
  });

  const uid = () => Math.random().toString(36).slice(2, 10);
  const bystander = async () => {
    innocent = await Innocent.open(h.url, { topic: `tenant/c/innocent-${uid()}`, headers: bearer(carol) });
    expect(await innocent.publish()).toBe(201);
    return innocent;
  };
  const publish = (token: string | undefined, body: unknown) =>
    post(h.url, body, { headers: token === undefined ? BACKEND : bearer(token) });
  const sse = async (token: string, topics: string[], lastEventId?: string) => {
    const r = await StreamReader.open(h.url, topics, { query: { token }, lastEventId });
    open.push(r);
    expect(r.response.status).toBe(200);
    return r;
  };
  /** The frames a stream got up to a marker the backend publishes once it is open. */
  const settle = async (r: StreamReader, markerTopic: string): Promise<Frame[]> => {
    await r.waitFor((x) => x.of('connected').length > 0);
    const marker = `marker-${uid()}`;
    expect((await publish(undefined, { topic: markerTopic, type: 'marker', data: marker })).status).toBe(201);
    await r.waitFor((x) => x.frames.some((f) => f.data.includes(marker)));
    return r.frames.slice(
      0,
      r.frames.findIndex((f) => f.data.includes(marker)),
    );
  };
  /** What a resume taught the subscriber: frame types, reset reasons and event payloads, ids aside. */
  const lesson = (frames: Frame[]) =>
    frames.map((f) =>
      f.event === 'connected'
        ? 'connected'
        : f.event === 'reset'
          ? `reset:${(JSON.parse(f.data) as { reason: string }).reason}`
          : `${f.event}:${JSON.parse(f.data).data}`,
    );

  it("B publishing A's supplied id on its own topic gets its own fresh 201, never A's event", async () => {
    const inn = await bystander();
    const id = `order-${uid()}`;
    const a = await publish(alice, {
      topic: 'tenant/a/orders',
      type: 'order',
      data: { card: '4111-secret' },
      id,
    });
    expect(a.status).toBe(201);
    const b = await publish(bob, { topic: 'tenant/b/orders', type: 'order', data: { mine: true }, id });
    expect(b.status).toBe(201);
    expect(b.body).toEqual({ id });
    expect(JSON.stringify(b.body)).not.toContain('secret');
    // Each retry answers with its publisher's own event.
    const again = await publish(bob, { topic: 'tenant/b/orders', type: 'order', data: {}, id });
    expect(again.status).toBe(200);
    expect(again.body.event.data).toEqual({ mine: true });
    const aAgain = await publish(alice, { topic: 'tenant/a/orders', type: 'order', data: {}, id });
    expect(aAgain.status).toBe(200);
    expect(aAgain.body.event.data).toEqual({ card: '4111-secret' });
    await inn.assertUnharmed();
  });

  it("B publishing A's supplied id onto A's topic gets 403, which names only B's own input", async () => {
    const inn = await bystander();
    const id = `order-${uid()}`;
    expect(
      (await publish(alice, { topic: 'tenant/a/orders', type: 'o', data: 'alice-private', id })).status,
    ).toBe(201);
    const b = await publish(bob, { topic: 'tenant/a/orders', type: 'o', data: 'x', id });
    expect(b.status).toBe(403);
    expect(JSON.stringify(b.body)).not.toContain('alice-private');
    await inn.assertUnharmed();
  });

  it('a batch of ids stolen from A answers 201 with fresh events and no "duplicates"', async () => {
    const inn = await bystander();
    const ids = [`x-${uid()}`, `y-${uid()}`];
    expect(
      (
        await publish(
          alice,
          ids.map((id) => ({ topic: 'tenant/a/feed', type: 't', data: 'alice', id })),
        )
      ).status,
    ).toBe(201);
    const b = await publish(
      bob,
      ids.map((id) => ({ topic: 'tenant/b/feed', type: 't', data: 'bob', id })),
    );
    expect(b.status).toBe(201);
    expect(b.body).toEqual({ ids });
    await inn.assertUnharmed();
  });

  it("B pre-publishing an id A will use on a board both may write never suppresses A's event", async () => {
    const inn = await bystander();
    const board = `shared/board-${uid()}`;
    const watcher = await sse(amy, [board]);
    await watcher.waitFor((x) => x.of('connected').length > 0);
    const id = `post-${uid()}`;
    const squat = await publish(bob, { topic: board, type: 'post', data: 'squat', id });
    expect(squat.status).toBe(201);
    const real = await publish(alice, { topic: board, type: 'post', data: 'real', id });
    expect(real.status).toBe(201);
    expect(real.body).toEqual({ id });
    const got = await watcher.waitForEvents(2);
    expect(got.map((e) => [e.id, e.data])).toEqual([
      [id, 'squat'],
      [id, 'real'],
    ]);
    // Alice's retry is her own duplicate, not bob's event.
    const retry = await publish(alice, { topic: board, type: 'post', data: 'real', id });
    expect(retry.status).toBe(200);
    expect(retry.body.event.data).toBe('real');
    await inn.assertUnharmed();
  });

  it('the same sub in another tenant is another publisher: it neither pre-empts nor reads the first', async () => {
    const inn = await bystander();
    const board = `shared/twins-${uid()}`;
    const id = `t-${uid()}`;
    expect((await publish(alice, { topic: board, type: 't', data: 'tenant-a', id })).status).toBe(201);
    const other = await publish(twin, { topic: board, type: 't', data: 'tenant-b', id });
    expect(other.status).toBe(201);
    expect(other.body).toEqual({ id });
    await inn.assertUnharmed();
  });

  it("B resuming over SSE from A's supplied id gets reset unknown-id, exactly as for an id that never existed", async () => {
    const inn = await bystander();
    const id = `order-${uid()}`;
    expect(
      (await publish(alice, { topic: 'tenant/a/orders', type: 'o', data: 'alice-private', id })).status,
    ).toBe(201);
    expect((await publish(bob, { topic: 'tenant/b/feed', type: 'o', data: 'bob-before' })).status).toBe(201);
    const probing = await settle(await sse(bob, ['tenant/b/**'], id), 'tenant/b/marker');
    const control = await settle(await sse(bob, ['tenant/b/**'], NEVER), 'tenant/b/marker');
    expect(lesson(probing)).toEqual(['connected', 'reset:unknown-id']);
    expect(lesson(control)).toEqual(lesson(probing));
    expect(JSON.stringify(probing)).not.toContain('alice-private');
    // A pattern as wide as the grant allows (all of `**`) changes nothing: tenant a stays out.
    const wide = await settle(await sse(bob, ['**'], id), 'tenant/b/marker');
    expect(lesson(wide)).toEqual(['connected', 'reset:unknown-id']);
    await inn.assertUnharmed();
  });

  it("B resuming over WebSocket from A's supplied id, at connect and in a subscribe, gets reset unknown-id", async () => {
    const inn = await bystander();
    const id = `order-${uid()}`;
    expect(
      (await publish(alice, { topic: 'tenant/a/orders', type: 'o', data: 'alice-private', id })).status,
    ).toBe(201);
    const peer = await WsPeer.open(h.url, ['tenant/b/**'], { query: { token: bob, lastEventId: id } });
    open.push(peer);
    const reset = await peer.waitFor((m) => m.op === 'reset');
    expect(reset).toEqual({ op: 'reset', reason: 'unknown-id', lastEventId: id });
    const plain = await WsPeer.open(h.url, [], { query: { token: bob } });
    open.push(plain);
    const ack = await plain.request({ op: 'subscribe', topics: ['shared/**'], lastEventId: id });
    expect(ack.op).toBe('ack');
    const second = await plain.waitFor((m) => m.op === 'reset');
    expect(second).toMatchObject({ reason: 'unknown-id', lastEventId: id });
    expect(JSON.stringify([...peer.messages, ...plain.messages])).not.toContain('alice-private');
    await inn.assertUnharmed();
  });

  it("a WebSocket subscribe resumes from B's own supplied id on another of its topics, while A's id there gets reset", async () => {
    const inn = await bystander();
    const mine = `mine-${uid()}`;
    const theirs = `theirs-${uid()}`;
    const peer = await WsPeer.open(h.url, ['tenant/b/first'], { query: { token: bob } });
    open.push(peer);
    expect((await publish(bob, { topic: 'tenant/b/first', type: 'f', data: 'own', id: mine })).status).toBe(
      201,
    );
    expect(
      (await publish(alice, { topic: 'tenant/a/first', type: 'f', data: 'alice-private', id: theirs }))
        .status,
    ).toBe(201);
    expect((await publish(bob, { topic: 'tenant/b/second', type: 's', data: 'missed' })).status).toBe(201);
    await peer.waitForEvents(1);
    // The last id the client holds came from its first topic: the new topic replays after it.
    const ack = await peer.request({ op: 'subscribe', topics: ['tenant/b/second'], lastEventId: mine });
    expect(ack.op).toBe('ack');
    await peer.waitForEvents(2);
    expect(peer.events.map((e) => e.data)).toEqual(['own', 'missed']);
    const ack2 = await peer.request({ op: 'subscribe', topics: ['tenant/b/third'], lastEventId: theirs });
    expect(ack2.op).toBe('ack');
    const reset = await peer.waitFor((m) => m.op === 'reset');
    expect(reset).toMatchObject({ reason: 'unknown-id', lastEventId: theirs });
    expect(peer.messages.filter((m) => m.op === 'reset')).toHaveLength(1);
    await inn.assertUnharmed();
  });

  it("B resuming over Mercure from A's private update id gets reset and Last-Event-ID earliest, as for a random id", async () => {
    const inn = await bystander();
    const id = `urn:uuid:${uid()}-a`;
    const pubA = await mercureToken({ publish: ['https://a.example/{x}'] }, { sub: 'publisher-a' });
    const pub = await publishForm(
      h.url,
      { topic: 'https://a.example/orders', data: 'alice-private', private: true, id },
      { token: pubA },
    );
    expect(pub.status).toBe(200);
    expect(pub.body).toBe(id);
    const subB = await mercureToken({ subscribe: ['https://b.example/{x}'] });
    const answers = [];
    const tries = [
      { lastEventIdHeader: id },
      { lastEventIdHeader: NEVER },
      // The query parameter of clients that cannot set headers goes the same way.
      { lastEventID: id },
    ];
    for (const how of tries) {
      const r = await MercureReader.open(h.url, ['*'], { token: subB, ...how });
      open.push(r);
      expect(r.response.status).toBe(200);
      await until(() => r.frames.some((f) => f.event === 'reset'));
      answers.push({
        header: r.response.headers.get('last-event-id'),
        reset: JSON.parse(r.frames.find((f) => f.event === 'reset')?.data ?? '{}').reason,
        leaked: r.raw.includes('alice-private'),
      });
    }
    expect(answers[0]).toEqual({ header: 'earliest', reset: 'unknown-id', leaked: false });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    await inn.assertUnharmed();
  });

  it("a Mercure publisher reusing another's id gets its own 200, not 409, and the first update still arrives", async () => {
    const inn = await bystander();
    const id = `urn:uuid:${uid()}-m`;
    const pubA = await mercureToken({ publish: ['https://shared.example/{x}'] }, { sub: 'publisher-a' });
    const pubB = await mercureToken({ publish: ['https://shared.example/{x}'] }, { sub: 'publisher-b' });
    const subA = await mercureToken({ subscribe: ['https://shared.example/{x}'] });
    const reader = await MercureReader.open(h.url, ['https://shared.example/news'], { token: subA });
    open.push(reader);
    expect(reader.response.status).toBe(200);
    const squat = await publishForm(
      h.url,
      { topic: 'https://shared.example/news', data: 'squat', id },
      { token: pubB },
    );
    expect(squat.status).toBe(200);
    const real = await publishForm(
      h.url,
      { topic: 'https://shared.example/news', data: 'real', id },
      { token: pubA },
    );
    expect(real.status).toBe(200);
    expect(real.body).toBe(id);
    // A's own retry of a different update under the same id is still a conflict, with A alone.
    const conflict = await publishForm(
      h.url,
      { topic: 'https://shared.example/news', data: 'changed', id },
      { token: pubA },
    );
    expect(conflict.status).toBe(409);
    await until(() => reader.frames.filter((f) => f.id === id).length >= 2);
    expect(reader.frames.filter((f) => f.id === id).map((f) => f.data)).toEqual(['squat', 'real']);
    await inn.assertUnharmed();
  });

  it('a targeted event stays private: same-tenant publishing and resuming with its id learn nothing', async () => {
    const inn = await bystander();
    const id = `dm-${uid()}`;
    const dm = await publish(undefined, {
      topic: 'tenant/a/inbox',
      type: 'dm',
      data: 'for-alice-only',
      id,
      to: { users: ['alice'] },
    });
    expect(dm.status).toBe(201);
    // Amy, in the same tenant, reuses the id: her own event, no look at alice's.
    const own = await publish(amy, { topic: 'tenant/a/amy', type: 'dm', data: 'amy', id });
    expect(own.status).toBe(201);
    expect(JSON.stringify(own.body)).not.toContain('for-alice-only');
    // Resuming on the inbox from the DM's id: reset, as for an id that never existed.
    const amyTopics = ['tenant/a/inbox', 'tenant/a/amy-marker'];
    const probing = await settle(await sse(amy, amyTopics, id), 'tenant/a/amy-marker');
    const control = await settle(await sse(amy, amyTopics, NEVER), 'tenant/a/amy-marker');
    expect(lesson(probing)).toEqual(['connected', 'reset:unknown-id']);
    expect(lesson(control)).toEqual(lesson(probing));
    // Alice, whom it was for, resumes after it without a reset.
    const hers = await settle(await sse(alice, ['tenant/a/inbox'], id), 'tenant/a/inbox');
    expect(lesson(hers)).toEqual(['connected']);
    await inn.assertUnharmed();
  });

  it("an id on both B's topic and A's resumes B after its own event, and replays nothing of A's", async () => {
    const inn = await bystander();
    const id = `both-${uid()}`;
    expect((await publish(bob, { topic: 'tenant/b/log', type: 'l', data: 'bob-1', id })).status).toBe(201);
    expect(
      (await publish(alice, { topic: 'tenant/a/log', type: 'l', data: 'alice-private', id })).status,
    ).toBe(201);
    expect((await publish(bob, { topic: 'tenant/b/log', type: 'l', data: 'bob-2' })).status).toBe(201);
    const frames = await settle(await sse(bob, ['tenant/b/log'], id), 'tenant/b/log');
    expect(lesson(frames)).toEqual(['connected', 'l:bob-2']);
    expect(JSON.stringify(frames)).not.toContain('alice-private');
    await inn.assertUnharmed();
  });

  it("B holding A's generated event id resumes on its own topics only: no A event, no A count", async () => {
    const inn = await bystander();
    const a = await publish(alice, { topic: 'tenant/a/gen', type: 'g', data: 'alice-private' });
    expect(a.status).toBe(201);
    expect((await publish(bob, { topic: 'tenant/b/gen', type: 'g', data: 'bob-after' })).status).toBe(201);
    expect((await publish(alice, { topic: 'tenant/a/gen', type: 'g', data: 'alice-private-2' })).status).toBe(
      201,
    );
    const frames = await settle(await sse(bob, ['tenant/b/gen'], a.body.id), 'tenant/b/gen');
    expect(lesson(frames)).toEqual(['connected', 'g:bob-after']);
    expect(JSON.stringify(frames)).not.toContain('alice-private');
    await inn.assertUnharmed();
  });

  it('generated ids reveal no count: B cannot tell how many events other tenants published', async () => {
    const inn = await bystander();
    const b1 = await publish(bob, { topic: 'tenant/b/count', type: 'c', data: 1 });
    for (let i = 0; i < 3; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => ({
        topic: 'tenant/a/busy',
        type: 'c',
        data: i * 10 + j,
      }));
      expect((await publish(undefined, batch)).status).toBe(201);
    }
    const b2 = await publish(bob, { topic: 'tenant/b/count', type: 'c', data: 2 });
    expect([b1.status, b2.status]).toEqual([201, 201]);
    for (const id of [b1.body.id, b2.body.id]) {
      expect(id).toMatch(/^~[A-Za-z0-9_-]{22}$/);
      // Only the hub's own key reads a position out of it; any other key reads nothing.
      expect(GeneratedIds.create().decode(id)).toBeUndefined();
    }
    const store = h.hub.engine.store;
    const pos = (id: string) => store.generatedIds?.decode(id);
    expect(pos(b1.body.id)).toBeDefined();
    expect(pos(b1.body.id)).not.toBe(pos(b2.body.id));
    // The resume point of a fresh stream changes on every connect, whether or not anything was
    // published meanwhile, and never equals the id of the last event.
    const c1 = await sse(bob, ['tenant/b/count']);
    const c2 = await sse(bob, ['tenant/b/count']);
    await c1.waitFor((r) => r.of('connected').length > 0);
    await c2.waitFor((r) => r.of('connected').length > 0);
    const resume = (r: StreamReader) => JSON.parse(r.of('connected')[0]?.data ?? '{}').lastEventId as string;
    expect(resume(c1)).toMatch(/^~[A-Za-z0-9_-]{28}$/);
    expect(resume(c1)).not.toBe(resume(c2));
    expect(resume(c2)).not.toBe(b2.body.id);
    await inn.assertUnharmed();
  });

  it('a forged generated id gets reset unknown-id, and one of the hub generated shape is refused as a supplied id with 400', async () => {
    const inn = await bystander();
    const [b1] = [await publish(bob, { topic: 'tenant/b/forge', type: 'f', data: 1 })];
    expect(b1.status).toBe(201);
    const id = b1.body.id as string;
    const forged = `${id.slice(0, 10)}${id[10] === 'A' ? 'B' : 'A'}${id.slice(11)}`;
    const frames = await settle(await sse(bob, ['tenant/b/forge'], forged), 'tenant/b/forge');
    expect(lesson(frames)).toEqual(['connected', 'reset:unknown-id']);
    for (const shaped of [id, `~${'Q'.repeat(22)}`, 'k3x9qa.1042']) {
      const res = await publish(bob, { topic: 'tenant/b/forge', type: 'f', data: 1, id: shaped });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid-event');
      expect(res.body.error.message).toContain(shaped);
    }
    await inn.assertUnharmed();
  });

  it('resuming after a supplied id shared by several readable events replays from the earliest: duplicates, never a loss', async () => {
    const inn = await bystander();
    const board = `shared/dup-${uid()}`;
    const id = `same-${uid()}`;
    expect((await publish(bob, { topic: board, type: 'p', data: 'bob', id })).status).toBe(201);
    expect((await publish(amy, { topic: board, type: 'p', data: 'between' })).status).toBe(201);
    expect((await publish(alice, { topic: board, type: 'p', data: 'alice', id })).status).toBe(201);
    expect((await publish(amy, { topic: board, type: 'p', data: 'after' })).status).toBe(201);
    const frames = await settle(await sse(bob, [board], id), board);
    expect(lesson(frames)).toEqual(['connected', 'p:between', 'p:alice', 'p:after']);
    await inn.assertUnharmed();
  });
});

describe('ids under attack: the routes never echo a stored event to anyone but its publisher', () => {
  it("a 200 duplicate answer of /publish holds the caller's own event only, for the publisher key too", async () => {
    const h = await startHub({ auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY } });
    try {
      const bob = await tok('bob', 'b');
      const inn = await Innocent.open(h.url, {
        topic: 'tenant/b/innocent',
        headers: bearer(bob),
      });
      expect(await inn.publish()).toBe(201);
      const id = `k-${Math.random().toString(36).slice(2)}`;
      const mine = await post(
        h.url,
        { topic: 'tenant/b/x', type: 't', data: 'backend', id },
        { headers: bearer(PUBLISHER_KEY) },
      );
      expect(mine.status).toBe(201);
      // hub.publish in-process is the same party as the publisher key: its retry is a duplicate.
      const inProcess = await h.hub.publish({ topic: 'tenant/b/x', type: 't', data: 'again', id });
      expect(inProcess).toMatchObject({ duplicate: true, event: { data: 'backend' } });
      // A user's publish with the id on that topic is its own event.
      const user = await post(
        h.url,
        { topic: 'tenant/b/x', type: 't', data: 'bob', id },
        { headers: bearer(bob) },
      );
      expect(user.status).toBe(201);
      expect(user.body).toEqual({ id });
      await inn.assertUnharmed();
      await inn.close();
    } finally {
      await h.close();
    }
  });
});
