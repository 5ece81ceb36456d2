import { exportSPKI, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type HubError, type HubOptions, memoryStore } from '../src/index.js';
import { captureLogger, mint, SECRET } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub } from './helpers.js';
import { HUB, KEYS, MercureReader, mercureToken, publishForm, subscribeAnswer } from './mercure-helpers.js';
import { WsPeer } from './ws-helpers.js';

/**
 * The Mercure face against the protocol text (draft-dunglas-mercure-07), over real sockets. Every
 * "not delivered" is checked after a later update that the same stream does receive: updates
 * reach a stream in publish order, so the earlier one can no longer arrive.
 */

const BOOKS = 'https://example.com/books';
const SENTINEL = 'https://example.com/sentinel';

const running: RunningHub[] = [];
const readers: MercureReader[] = [];

async function hub(mercure: HubOptions['mercure'] = { ...KEYS, anonymous: true }, o: HubOptions = {}) {
  const h = await startHub({ mercure, ...o });
  running.push(h);
  return h;
}

async function open(base: string, topics: string[], o: Parameters<typeof MercureReader.open>[2] = {}) {
  const r = await MercureReader.open(base, topics, o);
  readers.push(r);
  return r;
}

let publisher: string;
async function pub(base: string, fields: Parameters<typeof publishForm>[1]) {
  publisher ??= await mercureToken({ publish: ['*'] });
  const r = await publishForm(base, fields, { token: publisher });
  if (r.status !== 200) throw new Error(`publish answered ${r.status}: ${r.body}`);
  return r.body;
}

afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const h of running.splice(0)) await h.close();
});

describe('Mercure: subscribing', () => {
  it('matches exact, URI-template and * selectors against canonical and alternate topics', async () => {
    const h = await hub();
    const exact = await open(h.url, [`${BOOKS}/1`, SENTINEL]);
    const template = await open(h.url, [`${BOOKS}/{id}`, SENTINEL]);
    const all = await open(h.url, ['*']);
    const alt = await open(h.url, ['https://example.com/shelves/{shelf}/books/{id}', SENTINEL]);
    const exactAlt = await open(h.url, ['https://example.com/shelves/a/books/9', SENTINEL]);

    await pub(h.url, { topic: `${BOOKS}/1`, data: 'one' });
    await pub(h.url, { topic: `${BOOKS}/1/reviews`, data: 'review' });
    await pub(h.url, { topic: `${BOOKS}/2`, data: 'two' });
    await pub(h.url, {
      topic: ['https://example.com/authors/7', 'https://example.com/shelves/a/books/9'],
      data: 'alt',
    });
    await pub(h.url, { topic: SENTINEL, data: 'end' });

    for (const r of [exact, template, all, alt, exactAlt]) await r.waitFor((x) => x.data.includes('end'));
    expect(exact.data).toEqual(['one', 'end']);
    // {id} expands without "/": books/1/reviews is not a book.
    expect(template.data).toEqual(['one', 'two', 'end']);
    expect(all.data).toEqual(['one', 'review', 'two', 'alt', 'end']);
    // Matched through the alternate topic only, by a template and by an exact selector.
    expect(alt.data).toEqual(['alt', 'end']);
    expect(exactAlt.data).toEqual(['alt', 'end']);

    // The same selection when the history is replayed.
    const replays = await Promise.all(
      [[`${BOOKS}/1`], [`${BOOKS}/{id}`], ['https://example.com/shelves/a/books/9']].map((t) =>
        open(h.url, [...t, SENTINEL], { lastEventID: 'earliest' }),
      ),
    );
    for (const r of replays) await r.waitFor((x) => x.data.includes('end'));
    expect(replays.map((r) => r.data)).toEqual([
      ['one', 'end'],
      ['one', 'two', 'end'],
      ['alt', 'end'],
    ]);
  });

  it('flushes the response headers at once and sends the default message type unless the publisher set one', async () => {
    const h = await hub();
    // The response resolves before any update exists: headers are on the wire at once.
    const r = await open(h.url, [`${BOOKS}/{id}`]);
    expect(r.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'plain' });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'typed', type: 'book-updated' });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'retry', retry: '2500' });
    const u = await r.waitForUpdates(3);
    expect(u.map((f) => [f.event, f.data])).toEqual([
      [undefined, 'plain'],
      ['book-updated', 'typed'],
      [undefined, 'retry'],
    ]);
    expect(r.raw).toContain('retry: 2500\n');
    expect(r.raw).not.toContain('event: connected');
  });

  it('echoes publisher ids of any printable shape as the SSE id, and generates one otherwise', async () => {
    const h = await hub();
    const r = await open(h.url, ['*']);
    const odd = 'urn:x:[1]/"quoted":id';
    expect(await pub(h.url, { topic: `${BOOKS}/1`, id: odd, data: 'a' })).toBe(odd);
    const generated = await pub(h.url, { topic: `${BOOKS}/1`, data: 'b' });
    expect(generated).not.toBe('');
    const u = await r.waitForUpdates(2);
    expect(u.map((f) => f.id)).toEqual([odd, generated]);
    // And resuming from the odd id works.
    const again = await open(h.url, ['*'], { lastEventIdHeader: odd });
    await again.waitForUpdates(1);
    expect(again.updates.map((f) => f.data)).toEqual(['b']);
  });

  it('sends multi-line data as several data: lines', async () => {
    const h = await hub();
    const r = await open(h.url, ['*']);
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'line 1\nline 2\r\nline 3' });
    const [f] = await r.waitForUpdates(1);
    expect(f?.data).toBe('line 1\nline 2\nline 3');
    expect(r.raw).toContain('data: line 1\ndata: line 2\ndata: line 3\n\n');
  });

  it('keeps streams alive with comments, not events', async () => {
    const h = await hub(undefined, { heartbeatMs: 20 });
    const r = await open(h.url, ['*']);
    await r.waitFor((x) => x.raw.includes(':\n\n'));
    expect(r.frames).toEqual([]);
  });

  it('reports an empty or missing topic and oversized selectors as 400, with a sentence', async () => {
    const h = await hub();
    const none = await subscribeAnswer(h.url, '');
    expect(none.status).toBe(400);
    expect(JSON.parse(none.body).error.message).toMatch(/at least one topic selector/);
    const empty = await subscribeAnswer(h.url, 'topic=');
    expect(empty.status).toBe(400);
    const long = await subscribeAnswer(h.url, `topic=${'x'.repeat(3000)}`);
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body).error.limit).toBe(2048);
    const many = await subscribeAnswer(h.url, Array.from({ length: 70 }, (_, i) => `topic=t${i}`).join('&'));
    expect(many.status).toBe(400);
  });

  it('is not slowed down by pathological templates (matching is linear)', async () => {
    const h = await hub();
    const evil = `x${Array.from({ length: 16 }, (_, i) => `{v${i}}`).join('')}!`;
    const r = await open(h.url, [evil, SENTINEL]);
    await pub(h.url, { topic: `x${'a'.repeat(2000)}`, data: 'long' });
    await pub(h.url, { topic: SENTINEL, data: 'end' });
    await r.waitFor((x) => x.data.includes('end'));
    expect(r.data).toEqual(['end']);
  });
});

describe('Mercure: private updates', () => {
  it('go only to subscribers whose mercure.subscribe claim matches one of their topics, live and on replay', async () => {
    const h = await hub();
    const alice = await mercureToken({
      subscribe: [`${BOOKS}/{id}`, 'https://example.com/users/alice/{?topic}'],
    });
    const nobody = await mercureToken({ subscribe: [] });
    const anon = await open(h.url, ['*']);
    const claimless = await open(h.url, ['*'], { token: nobody });
    const authorized = await open(h.url, ['*'], { token: alice });

    await pub(h.url, { topic: `${BOOKS}/1`, data: 'public' });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'private book', private: true });
    await pub(h.url, { topic: 'https://example.com/authors/1', data: 'private author', private: true });
    // The spec's example: authorized through an alternate topic only.
    await pub(h.url, {
      topic: [
        'https://example.com/authors/2',
        'https://example.com/users/alice/?topic=https%3A%2F%2Fexample.com%2Fauthors%2F2',
      ],
      data: 'private via alternate',
      private: true,
    });
    await pub(h.url, { topic: SENTINEL, data: 'end' });

    for (const r of [anon, claimless, authorized]) await r.waitFor((x) => x.data.includes('end'));
    expect(anon.data).toEqual(['public', 'end']);
    expect(claimless.data).toEqual(['public', 'end']);
    expect(authorized.data).toEqual(['public', 'private book', 'private via alternate', 'end']);

    // The same on replay from the start of history.
    const anonReplay = await open(h.url, ['*'], { lastEventID: 'earliest' });
    const authorizedReplay = await open(h.url, ['*'], { lastEventID: 'earliest', token: alice });
    await anonReplay.waitFor((x) => x.data.includes('end'));
    await authorizedReplay.waitFor((x) => x.data.includes('end'));
    expect(anonReplay.data).toEqual(['public', 'end']);
    expect(authorizedReplay.data).toEqual(['public', 'private book', 'private via alternate', 'end']);
  });

  it('never reach the hub own /events subscribers, while public updates do (as envelopes)', async () => {
    const h = await hub();
    const native = await StreamReader.open(h.url, ['**']);
    await native.waitFor((r) => r.of('connected').length === 1);
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'secret', private: true });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'public' });
    const events = await native.waitForEvents(1);
    await pub(h.url, { topic: SENTINEL, data: 'end' });
    await native.waitForEvents(2);
    await native.close();
    expect(native.events.map((e) => [e.topic, e.data])).toEqual([
      ['https:/%/example.com/books/1', 'public'],
      ['https:/%/example.com/sentinel', 'end'],
    ]);
    expect(events[0]?.type).toBe('message');
  });

  it('never reach the hub own WebSocket subscribers either, while public updates do', async () => {
    const h = await hub();
    const ws = await WsPeer.open(h.url, ['**']);
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'secret', private: true });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'public' });
    await pub(h.url, { topic: SENTINEL, data: 'end' });
    await ws.waitForEvents(2);
    ws.close();
    expect(ws.events.map((e) => e.data)).toEqual(['public', 'end']);
  });

  it('treats events published through the hub own API as private: only matching claims see them', async () => {
    const h = await hub();
    const claims = await mercureToken({ subscribe: ['orders/{id}'] });
    const anon = await open(h.url, ['orders/{id}', SENTINEL]);
    const allowed = await open(h.url, ['orders/{id}', SENTINEL], { token: claims });
    await h.hub.publish({ topic: 'orders/42', type: 'order-paid', data: { total: 12 } });
    await pub(h.url, { topic: SENTINEL, data: 'end' });
    await anon.waitFor((x) => x.data.includes('end'));
    await allowed.waitFor((x) => x.data.includes('end'));
    expect(anon.data).toEqual(['end']);
    expect(allowed.updates.map((f) => [f.event, f.data])).toEqual([
      ['order-paid', '{"total":12}'],
      [undefined, 'end'],
    ]);
  });
});

describe('Mercure: resuming', () => {
  it('replays after Last-Event-ID (header or lastEventID query; the header wins) and echoes it in the response', async () => {
    const h = await hub();
    const ids = [];
    for (const d of ['a', 'b', 'c']) ids.push(await pub(h.url, { topic: `${BOOKS}/1`, data: d }));
    const byHeader = await open(h.url, [`${BOOKS}/{id}`], { lastEventIdHeader: ids[0] });
    const byQuery = await open(h.url, [`${BOOKS}/{id}`], { lastEventID: ids[1] });
    const both = await open(h.url, [`${BOOKS}/{id}`], { lastEventID: ids[0], lastEventIdHeader: ids[1] });
    expect(byHeader.response.headers.get('last-event-id')).toBe(ids[0]);
    expect(byHeader.response.headers.get('access-control-expose-headers')).toBe('Last-Event-ID');
    expect(byQuery.response.headers.get('last-event-id')).toBe(ids[1]);
    expect(both.response.headers.get('last-event-id')).toBe(ids[1]);
    await byHeader.waitForUpdates(2);
    await byQuery.waitForUpdates(1);
    await both.waitForUpdates(1);
    expect(byHeader.data).toEqual(['b', 'c']);
    expect(byQuery.data).toEqual(['c']);
    expect(both.data).toEqual(['c']);
    // No Last-Event-ID asked, none sent back.
    const fresh = await open(h.url, ['*']);
    expect(fresh.response.headers.get('last-event-id')).toBeNull();
  });

  it('sends all retained history for lastEventID=earliest, and then live updates without a gap', async () => {
    const h = await hub();
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'old 1' });
    await pub(h.url, { topic: `${BOOKS}/2`, data: 'old 2' });
    const r = await open(h.url, [`${BOOKS}/{id}`], { lastEventID: 'earliest' });
    expect(r.response.headers.get('last-event-id')).toBe('earliest');
    await pub(h.url, { topic: `${BOOKS}/3`, data: 'new' });
    await r.waitForUpdates(3);
    expect(r.data).toEqual(['old 1', 'old 2', 'new']);
    expect(r.frames.filter((f) => f.event === 'reset')).toEqual([]);
  });

  it('gives a fresh stream a resume point without dispatching anything, so a reconnection before the first update loses nothing', async () => {
    const h = await hub();
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'before the subscription' });
    const r = await open(h.url, [`${BOOKS}/{id}`]);
    await r.waitFor((x) => /^retry: 3000\nid: \S+\n\n/.test(x.raw));
    const point = /^retry: 3000\nid: (\S+)\n\n/.exec(r.raw)?.[1] as string;
    expect(r.frames).toEqual([]);
    // The connection drops before any update; one is published meanwhile.
    await r.close();
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'while away' });
    // The EventSource reconnects with the id it was given.
    const again = await open(h.url, [`${BOOKS}/{id}`], { lastEventIdHeader: point });
    expect(again.response.headers.get('last-event-id')).toBe(point);
    await again.waitForUpdates(1);
    expect(again.data).toEqual(['while away']);
  });

  it('answers an unknown id with Last-Event-ID: earliest and an in-band reset, then goes live', async () => {
    const h = await hub();
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'before' });
    const r = await open(h.url, ['*'], { lastEventIdHeader: 'never-issued' });
    expect(r.response.headers.get('last-event-id')).toBe('earliest');
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'after' });
    await r.waitForUpdates(1);
    expect(r.frames[0]?.event).toBe('reset');
    expect(JSON.parse(r.frames[0]?.data ?? '')).toEqual({
      reason: 'unknown-id',
      lastEventId: 'never-issued',
    });
    expect(r.data).toEqual(['after']);
    // And a new resume point, so a reconnection does not ask for the unknown id again.
    expect(r.raw).toMatch(/^event: reset\n.*\n\nretry: 3000\nid: \S+\n\n/);
  });

  it('sends a reset when retention removed updates after the id, then replays what is retained', async () => {
    const h = await hub(undefined, { store: memoryStore({ retention: { maxEvents: 2 } }) });
    const first = await pub(h.url, { topic: `${BOOKS}/1`, data: 'v1' });
    for (const d of ['v2', 'v3', 'v4']) await pub(h.url, { topic: `${BOOKS}/1`, data: d });
    const r = await open(h.url, [`${BOOKS}/1`], { lastEventIdHeader: first });
    // v2 is gone: the update preceding the first one sent is not the one asked for.
    expect(r.response.headers.get('last-event-id')).toBe('earliest');
    await r.waitForUpdates(2);
    expect(r.frames[0]?.event).toBe('reset');
    expect(JSON.parse(r.frames[0]?.data ?? '').reason).toBe('history-truncated');
    expect(r.data).toEqual(['v3', 'v4']);
    // Retention elsewhere does not concern a subscriber of another topic.
    const other = await pub(h.url, { topic: `${BOOKS}/2`, data: 'w1' });
    await pub(h.url, { topic: `${BOOKS}/2`, data: 'w2' });
    const calm = await open(h.url, [`${BOOKS}/2`], { lastEventIdHeader: other });
    expect(calm.response.headers.get('last-event-id')).toBe(other);
    await calm.waitForUpdates(1);
    expect(calm.frames.map((f) => f.event)).toEqual([undefined]);
  });
});

describe('Mercure: publishing', () => {
  it('answers 200 text/plain with the id', async () => {
    const h = await hub();
    const token = await mercureToken({ publish: [`${BOOKS}/{id}`] });
    const r = await publishForm(h.url, { topic: `${BOOKS}/1`, data: 'x', id: 'rev-1' }, { token });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.body).toBe('rev-1');
  });

  it('refuses missing and invalid tokens with 401, and tokens that do not cover every topic with 403, delivering nothing', async () => {
    const h = await hub();
    const r = await open(h.url, ['*']);
    const books = await mercureToken({ publish: [`${BOOKS}/{id}`] });
    const noClaim = await mercureToken({ subscribe: ['*'] });
    // Corrupt a character well inside the signature: the last base64url character of an HS256
    // signature carries two padding bits, so changing it can leave the signature valid.
    const wrongKey = (await mercureToken({ publish: ['*'] })).replace(
      /.{10}$/,
      (tail) => (tail[0] === 'A' ? 'B' : 'A') + tail.slice(1),
    );
    const cases: Array<
      [Parameters<typeof publishForm>[2], Parameters<typeof publishForm>[1], number, RegExp]
    > = [
      [{}, { topic: `${BOOKS}/1` }, 401, /requires a JWT/],
      [{ token: wrongKey }, { topic: `${BOOKS}/1` }, 401, /signature/],
      [{ headers: { authorization: 'Basic abc' } }, { topic: `${BOOKS}/1` }, 401, /Bearer/],
      [{ token: noClaim }, { topic: `${BOOKS}/1` }, 403, /no "mercure.publish" claim/],
      [{ token: books }, { topic: [`${BOOKS}/1`, 'https://example.com/authors/1'] }, 403, /authors\/1/],
      [{ token: books }, { topic: '/.well-known/mercure/subscriptions/x/y' }, 403, /keeps for its own/],
    ];
    for (const [auth, fields, status, message] of cases) {
      const res = await publishForm(h.url, fields, auth);
      expect([res.status, JSON.parse(res.body).error.message]).toEqual([
        status,
        expect.stringMatching(message),
      ]);
    }
    await publishForm(h.url, { topic: `${BOOKS}/1`, data: 'ok' }, { token: books });
    await r.waitForUpdates(1);
    expect(r.data).toEqual(['ok']);
  });

  it('refuses malformed updates with the status that says why, and keeps serving', async () => {
    const h = await hub(undefined, { maxPayloadBytes: 1024 });
    const token = await mercureToken({ publish: ['*'] });
    const r = await open(h.url, ['*']);
    const bad: Array<[Parameters<typeof publishForm>[1], number, RegExp]> = [
      [new URLSearchParams('data=x'), 400, /no "topic" field/],
      [{ topic: `${BOOKS}/1`, retry: 'soon' }, 400, /retry/],
      [{ topic: `${BOOKS}/1`, id: '#1' }, 400, /must not start with "#"/],
      [{ topic: `${BOOKS}/1`, type: 'has space' }, 400, /type/],
      [{ topic: `${BOOKS}/1`, type: 'reset' }, 400, /reserved/],
      [{ topic: `${BOOKS}/1\u0007` }, 400, /control character/],
      [{ topic: `${BOOKS}/1`, data: 'x'.repeat(2000) }, 413, /limit is 1024/],
    ];
    for (const [fields, status, message] of bad) {
      const res = await publishForm(h.url, fields, { token });
      expect([res.status, JSON.parse(res.body).error.message]).toEqual([
        status,
        expect.stringMatching(message),
      ]);
    }
    const json = await publishForm(
      h.url,
      { topic: 'x' },
      { token, headers: { 'content-type': 'application/json' } },
    );
    expect(json.status).toBe(415);
    await publishForm(h.url, { topic: `${BOOKS}/1`, data: 'fine' }, { token });
    await r.waitForUpdates(1);
    expect(r.data).toEqual(['fine']);
  });

  it('accepts a retry of the same update with its id once, and refuses another update with that id (409)', async () => {
    const h = await hub();
    const token = await mercureToken({ publish: ['*'] });
    const r = await open(h.url, ['*']);
    const once = { topic: `${BOOKS}/1`, data: 'v1', id: 'rev-7' };
    expect((await publishForm(h.url, once, { token })).status).toBe(200);
    expect((await publishForm(h.url, once, { token })).body).toBe('rev-7');
    const other = await publishForm(h.url, { ...once, data: 'v2' }, { token });
    expect(other.status).toBe(409);
    await publishForm(h.url, { topic: SENTINEL, data: 'end' }, { token });
    await r.waitFor((x) => x.data.includes('end'));
    expect(r.data).toEqual(['v1', 'end']);
  });

  it('takes the token from the header first, then ?authorization=, then the cookie, and keeps it out of the URL', async () => {
    const log = captureLogger();
    const rejected: string[] = [];
    const h = await hub(
      { ...KEYS },
      {
        logger: log,
        observers: [{ requestRejected: (req, e: HubError) => rejected.push(`${req.url.href} ${e.status}`) }],
      },
    );
    const good = await mercureToken({ subscribe: ['*'] });
    const bogus = 'not.a.jwt';
    const q = (t: string) => `topic=*&authorization=${encodeURIComponent(t)}`;
    const viaQuery = await subscribeAnswer(h.url, q(good));
    expect(viaQuery.status).toBe(200);
    // A token in the URL must not end up in a shared cache.
    expect(viaQuery.headers.get('cache-control')).toMatch(/^private/);
    expect((await subscribeAnswer(h.url, q(bogus), { authorization: `Bearer ${good}` })).status).toBe(200);
    expect((await subscribeAnswer(h.url, q(bogus), { cookie: `mercureAuthorization=${good}` })).status).toBe(
      401,
    );
    expect((await subscribeAnswer(h.url, 'topic=*', { cookie: `mercureAuthorization=${good}` })).status).toBe(
      200,
    );
    expect((await subscribeAnswer(h.url, 'topic=*')).status).toBe(401);
    expect(rejected.length).toBeGreaterThan(0);
    for (const line of [...rejected, ...log.lines]) expect(line).not.toContain('authorization=');
  });
});

describe('Mercure: keys', () => {
  it('verifies publishers and subscribers with separate keys, an HS256 secret and an ES256 public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const h = await hub({ ...KEYS, subscriberJwt: { publicKey: await exportSPKI(publicKey) } });
    const subToken = await mint({ mercure: { subscribe: ['*'] } }, { alg: 'ES256', key: privateKey });
    const r = await open(h.url, ['*'], { token: subToken });
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'private', private: true });
    await r.waitForUpdates(1);
    expect(r.data).toEqual(['private']);
    // Each key serves its side only.
    const hsSubscriber = await mercureToken({ subscribe: ['*'] });
    expect(
      (await subscribeAnswer(h.url, 'topic=*', { authorization: `Bearer ${hsSubscriber}` })).status,
    ).toBe(401);
    const esPublisher = await mint({ mercure: { publish: ['*'] } }, { alg: 'ES256', key: privateKey });
    expect((await publishForm(h.url, { topic: `${BOOKS}/1` }, { token: esPublisher })).status).toBe(401);
  });

  it('refuses unusable keys at startup, naming the option', async () => {
    await expect(startHub({ mercure: { publisherJwt: { secret: 'short' } } })).rejects.toThrow(
      /Mercure option publisherJwt.secret is 5 bytes/,
    );
    await expect(
      startHub({ mercure: { ...KEYS, subscriberJwt: { secret: SECRET, algorithms: ['RS256'] } } }),
    ).rejects.toThrow(/Mercure option subscriberJwt.algorithms has "RS256"/);
    await expect(startHub({ mercure: { ...KEYS, publishOrigins: ['app.example.com'] } })).rejects.toThrow(
      /publishOrigins has "app.example.com"/,
    );
  });
});

describe('Mercure: cookies and CORS', () => {
  const APP = 'https://app.example.com';

  it('lets listed origins publish with the cookie and refuses others and origin-less requests', async () => {
    const h = await hub({ ...KEYS, publishOrigins: [APP] }, { cors: { origins: [APP] } });
    const token = await mercureToken({ publish: ['*'] });
    const cookie = { cookie: `mercureAuthorization=${token}` };
    const from = async (headers: Record<string, string>) =>
      publishForm(h.url, { topic: `${BOOKS}/1`, data: 'x' }, { headers: { ...cookie, ...headers } });
    const ok = await from({ origin: APP });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await from({ referer: `${APP}/books/1` })).status).toBe(200);
    const evil = await from({ origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatch(/publish origins/);
    expect((await from({})).status).toBe(403);
    // A server sending the token in the header is not a browser: no origin needed.
    expect((await publishForm(h.url, { topic: `${BOOKS}/1` }, { token })).status).toBe(200);
  });

  it('answers preflights and credentialed subscriptions from listed origins', async () => {
    const h = await hub({ ...KEYS }, { cors: { origins: [APP] } });
    const pre = await fetch(`${h.url}${HUB}`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'last-event-id',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    const token = await mercureToken({ subscribe: [`${BOOKS}/{id}`] });
    const r = await open(h.url, [`${BOOKS}/{id}`], {
      headers: { origin: APP, cookie: `mercureAuthorization=${token}` },
    });
    expect(r.response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(r.response.headers.get('access-control-allow-credentials')).toBe('true');
    await pub(h.url, { topic: `${BOOKS}/1`, data: 'private', private: true });
    await r.waitForUpdates(1);
    expect(r.data).toEqual(['private']);
  });
});

describe('Mercure: the hub around it', () => {
  it('answers GET / with a welcome page', async () => {
    const h = await hub();
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('/.well-known/mercure');
  });

  it('works the same through the Web fetch handler', async () => {
    const h = await hub();
    const token = await mercureToken({ publish: ['*'] });
    const form = (data: string) =>
      new Request('http://hub.test/.well-known/mercure', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `topic=${encodeURIComponent(`${BOOKS}/1`)}&data=${data}&id=f-${data}`,
      });
    const published = await h.hub.fetch(form('one'));
    expect([published.status, await published.text()]).toEqual([200, 'f-one']);
    const abort = new AbortController();
    const res = await h.hub.fetch(
      new Request(
        `http://hub.test/.well-known/mercure?topic=${encodeURIComponent(`${BOOKS}/{id}`)}&lastEventID=earliest`,
        {
          signal: abort.signal,
        },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('last-event-id')).toBe('earliest');
    await h.hub.fetch(form('two'));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('data: two')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    expect(text).toBe('retry: 3000\n\nid: f-one\ndata: one\n\nid: f-two\ndata: two\n\n');
  });

  it('leaves the hub own API as it was', async () => {
    const h = await hub();
    const r = await post(h.url, { topic: 'leases', type: 'lease-added', data: 1 });
    expect(r.status).toBe(201);
  });

  it('closes a stream when its token expires', async () => {
    const h = await hub({ ...KEYS });
    const token = await mint({ mercure: { subscribe: ['*'] } }, { expIn: 1 });
    const r = await open(h.url, ['*'], { token });
    await r.waitFor((x) => x.ended, 8000);
    expect(h.hub.connections()).toEqual([]);
  });
});
