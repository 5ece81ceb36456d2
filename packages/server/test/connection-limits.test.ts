import { afterEach, describe, expect, it } from 'vitest';
import { mint, PUBLISHER_KEY, SECRET, subscribeStatus } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});
async function open(base: string, topics: string[], opts: Parameters<typeof StreamReader.open>[2] = {}) {
  const r = await StreamReader.open(base, topics, opts);
  readers.push(r);
  return r;
}

describe('connections per address', () => {
  it('refuses one stream past the limit whoever the users are, exempts the publisher key, and frees the slot on close', async () => {
    const h = await startHub({
      auth: { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY },
      limits: { connectionsPerIp: 2, connectionsPerUser: false },
    });
    running.push(h);
    const grant = { subscribe: ['news'] };
    const a = await open(h.url, ['news'], { query: { token: await mint({ sub: 'u1', tidings: grant }) } });
    await open(h.url, ['news'], { query: { token: await mint({ sub: 'u2', tidings: grant }) } });
    const third = await subscribeStatus(h.url, ['news'], {
      token: await mint({ sub: 'u3', tidings: grant }),
    });
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({
      code: 'too-many-connections',
      limit: 2,
      option: 'connectionsPerIp',
    });
    expect(third.body.error.message).toMatch(/Your address already has 2 open streams/);
    const backend = await open(h.url, ['news'], { headers: { authorization: `Bearer ${PUBLISHER_KEY}` } });
    expect(backend.response.status).toBe(200);
    const ev = await post(
      h.url,
      { topic: 'news', type: 't', data: 1 },
      { headers: { authorization: `Bearer ${PUBLISHER_KEY}` } },
    );
    await backend.waitForEvents(1);
    expect(backend.events[0]?.id).toBe(ev.body.id);
    await a.close();
    await until(() => h.hub.connections().length === 2);
    const again = await open(h.url, ['news'], {
      query: { token: await mint({ sub: 'u3', tidings: grant }) },
    });
    expect(again.response.status).toBe(200);
  });

  it('applies to anonymous hubs when limits are asked for, and never when they are not', async () => {
    const limited = await startHub({ limits: { connectionsPerIp: 1 } });
    running.push(limited);
    await open(limited.url, ['a']);
    expect((await subscribeStatus(limited.url, ['a'])).status).toBe(429);
    const free = await startHub();
    running.push(free);
    const many = [];
    for (let i = 0; i < 300; i++) many.push(open(free.url, ['a']));
    expect(new Set((await Promise.all(many)).map((r) => r.response.status))).toEqual(new Set([200]));
  });

  it('lets an anonymous development hub force a logout without a key', async () => {
    const h = await startHub();
    running.push(h);
    const r = await post(h.url, { user: 'nobody', reason: 'test' }, { path: '/disconnect' });
    expect(r).toMatchObject({ status: 200, body: { disconnected: 0 } });
  });
});

describe('custom authorizers and the query token', () => {
  it('see ?token= in the URL, while observers of the same request never do', async () => {
    const seenByAuthorizer: string[] = [];
    const seenByObserver: string[] = [];
    const h = await startHub({
      authorizer: {
        async authorizeSubscribe(req) {
          seenByAuthorizer.push(req.url.searchParams.get('token') ?? '(none)');
          const { HubError } = await import('../src/index.js');
          throw new HubError(401, 'unauthorized', 'Nope.');
        },
        async authorizePublish() {
          return {};
        },
      },
      observers: [{ requestRejected: (req) => seenByObserver.push(req.url.href) }],
    });
    running.push(h);
    expect((await subscribeStatus(h.url, ['a'], { token: 'SECRET-123' })).status).toBe(401);
    expect(seenByAuthorizer).toEqual(['SECRET-123']);
    expect(seenByObserver).toHaveLength(1);
    expect(seenByObserver[0]).not.toContain('SECRET-123');
  });
});
