import { afterEach, describe, expect, it } from 'vitest';
import { type Authorizer, HubError } from '../src/index.js';
import { type RunningHub, StreamReader, startHub } from './helpers.js';

const running: RunningHub[] = [];
const readers: StreamReader[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});

const byHeader: Authorizer = {
  async authorizeSubscribe(req, patterns) {
    if (patterns.some((p) => p.startsWith('secret'))) throw new HubError(403, 'forbidden', 'Not for you.');
    return { principal: { user: req.header('x-user') }, canRead: (t) => !t.startsWith('hidden') };
  },
  async authorizePublish() {
    return {};
  },
};

async function presence(h: RunningHub, query: string) {
  const res = await fetch(new URL(`/presence?${query}`, h.url));
  return { status: res.status, body: await res.json() };
}

describe('GET /presence on one node', () => {
  it('counts the connections and users subscribed to a topic, by name or pattern', async () => {
    const h = await startHub({ authorizer: byHeader });
    running.push(h);
    readers.push(
      await StreamReader.open(h.url, ['a/b'], { headers: { 'x-user': 'ann' } }),
      await StreamReader.open(h.url, ['a/*', 'a/b'], { headers: { 'x-user': 'bob' } }),
      await StreamReader.open(h.url, ['a/**']),
      await StreamReader.open(h.url, ['z']),
    );
    expect(await presence(h, 'topic=a/b')).toEqual({
      status: 200,
      body: { topic: 'a/b', connections: 3, users: ['ann', 'bob'] },
    });
    expect(await presence(h, 'topic=q')).toEqual({
      status: 200,
      body: { topic: 'q', connections: 0, users: [] },
    });
  });

  it('refuses patterns, several topics and topics the caller may not read', async () => {
    const h = await startHub({ authorizer: byHeader });
    running.push(h);
    expect(await presence(h, 'topic=a/*')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid-topic' } },
    });
    expect(await presence(h, 'topic=a&topic=b')).toMatchObject({ status: 400 });
    expect(await presence(h, '')).toMatchObject({
      status: 400,
      body: { error: { message: 'Name the topic to count, as in /presence?topic=leases.' } },
    });
    expect(await presence(h, 'topic=$sys/stats')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid-topic' } },
    });
    expect(await presence(h, 'topic=secret/x')).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    expect(await presence(h, 'topic=hidden/x')).toMatchObject({
      status: 403,
      body: { error: { message: 'You may not read "hidden/x", so you cannot see who subscribes to it.' } },
    });
  });
});
