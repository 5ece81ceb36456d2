import { generateKeyPair, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubRequest } from '../src/index.js';
import { captureLogger, mint, PUBLISHER_KEY, SECRET, subscribeStatus } from './auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

/**
 * One hub with JWT auth and tight limits, two legitimate tenants watching their feeds, and a
 * matrix of hostile requests between good publishes. Every refusal must have its exact status and
 * code, and the watchers must receive every acknowledged event, in order, and nothing else.
 */

const AUD = 'tidings-test';
const ISS = 'https://issuer.test';
const log = captureLogger();
const rejectedUrls: string[] = [];
const queryTokens: string[] = [];

let h: RunningHub;
let watchA: StreamReader;
let watchB: StreamReader;
const sentA: string[] = [];
const sentB: string[] = [];

const grant = { subscribe: ['tenant/{tenant}/**', 'user/{sub}/**'], publish: ['user/{sub}/**'] };
const tok = (claims: Record<string, unknown>, o: Parameters<typeof mint>[1] = {}) =>
  mint({ tidings: grant, ...claims }, { aud: AUD, iss: ISS, ...o });

beforeAll(async () => {
  h = await startHub({
    auth: { jwt: { secret: SECRET, audience: AUD, issuer: ISS }, publisherKey: PUBLISHER_KEY },
    limits: {
      connectionsPerUser: 3,
      connectionsPerIp: false,
      maxPatternWildcards: 3,
      publishRate: { perSecond: 0.01, burst: 10 },
    },
    maxTopicsPerSubscription: 4,
    maxPayloadBytes: 1024,
    maxBodyBytes: 8192,
    logger: log,
    observers: [{ requestRejected: (req: HubRequest) => rejectedUrls.push(req.url.href) }],
  });
  const ta = await tok({ sub: 'ua', tenant: 'a' });
  const tb = await tok({ sub: 'ub', tenant: 'b' });
  queryTokens.push(ta, tb);
  watchA = await StreamReader.open(h.url, ['tenant/a/**'], { query: { token: ta } });
  watchB = await StreamReader.open(h.url, ['tenant/b/**'], { query: { token: tb } });
  expect(watchA.response.status).toBe(200);
  expect(watchB.response.status).toBe(200);
  await watchA.waitFor((x) => x.frames.length >= 1);
  await watchB.waitFor((x) => x.frames.length >= 1);
});
afterAll(async () => {
  await watchA.close();
  await watchB.close();
  await h.close();
});

async function good(): Promise<void> {
  const auth = { authorization: `Bearer ${PUBLISHER_KEY}` };
  const a = await post(h.url, { topic: 'tenant/a/feed', type: 't', data: sentA.length }, { headers: auth });
  const b = await post(h.url, { topic: 'tenant/b/feed', type: 't', data: sentB.length }, { headers: auth });
  expect([a.status, b.status]).toEqual([201, 201]);
  sentA.push(a.body.id);
  sentB.push(b.body.id);
}

/** GET /events with a token in the query (remembered, to check it never reaches a log). */
async function sub(topics: string[], token?: string, headers?: Record<string, string>) {
  if (token !== undefined) queryTokens.push(token);
  return subscribeStatus(h.url, topics, { token, headers });
}

const pub = (body: unknown, token?: string, raw?: string) =>
  post(h.url, body, { raw, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked structurally below
type Call = () => Promise<{ status: number; body: any; headers?: Headers }>;
type Case = [name: string, call: Call, status: number, code: string, message: RegExp, detail?: object];

const cases: Case[] = [
  // ---- authentication ----
  [
    'no token',
    () => sub(['tenant/a/**']),
    401,
    'unauthorized',
    /requires authentication; pass a token as \?token=/,
  ],
  [
    'an expired token',
    async () => sub(['tenant/a/**'], await tok({ sub: 'ua', tenant: 'a' }, { expIn: -60 })),
    401,
    'token-expired',
    /expired at .*fetch a fresh token/,
  ],
  [
    'a not-yet-valid token',
    async () => sub(['tenant/a/**'], await tok({ sub: 'ua', tenant: 'a' }, { nbfIn: 3600 })),
    401,
    'invalid-token',
    /not valid before/,
    { claim: 'nbf' },
  ],
  [
    'a wrong signature',
    async () =>
      sub(
        ['tenant/a/**'],
        await tok(
          { sub: 'ua', tenant: 'a' },
          { key: new TextEncoder().encode('another-secret-another-secret-another-secret') },
        ),
      ),
    401,
    'invalid-token',
    /signature does not verify/,
  ],
  [
    'alg: none',
    async () =>
      sub(
        ['tenant/a/**'],
        new UnsecuredJWT({ sub: 'ua', tenant: 'a', tidings: grant, aud: AUD, iss: ISS })
          .setExpirationTime('1h')
          .encode(),
      ),
    401,
    'invalid-token',
    /algorithm is not accepted; this hub accepts only HS256/,
  ],
  [
    'a wrong audience',
    async () => sub(['tenant/a/**'], await tok({ sub: 'ua', tenant: 'a' }, { aud: 'other-app' })),
    401,
    'invalid-token',
    /"aud" claim is not accepted; this hub expects tidings-test/,
    { claim: 'aud' },
  ],
  [
    'a wrong issuer',
    async () => sub(['tenant/a/**'], await tok({ sub: 'ua', tenant: 'a' }, { iss: 'https://evil.test' })),
    401,
    'invalid-token',
    /"iss" claim is not accepted/,
    { claim: 'iss' },
  ],
  [
    'a token without sub',
    async () => sub(['tenant/a/**'], await tok({ tenant: 'a' })),
    401,
    'invalid-token',
    /no "sub" claim/,
  ],
  [
    'an ES256 token on an HS256 hub',
    async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return sub(['tenant/a/**'], await tok({ sub: 'ua', tenant: 'a' }, { alg: 'ES256', key: privateKey }));
    },
    401,
    'invalid-token',
    /accepts only HS256/,
  ],
  [
    'a malformed token',
    () => sub(['tenant/a/**'], 'not.a.jwt'),
    401,
    'invalid-token',
    /not a well-formed JWT/,
  ],
  ['an overlong token', () => sub(['tenant/a/**'], 'x'.repeat(9000)), 401, 'invalid-token', /at most 8192/],
  ['an empty token', () => sub(['tenant/a/**'], ''), 401, 'unauthorized', /is empty/],
  [
    'Basic auth',
    () => sub(['tenant/a/**'], undefined, { authorization: 'Basic dWE6cHc=' }),
    401,
    'unauthorized',
    /must be "Bearer <token>"/,
  ],
  [
    'a "tidings" claim that is a list',
    async () =>
      sub(['tenant/a/**'], await mint({ sub: 'ua', tenant: 'a', tidings: ['**'] }, { aud: AUD, iss: ISS })),
    401,
    'invalid-token',
    /"tidings" claim must be an object/,
  ],
  [
    'a sub that would widen {sub}',
    async () => sub(['user/x/**'], await tok({ sub: 'x/../**', tenant: 'a' })),
    401,
    'invalid-token',
    /cannot fill \{sub\}.*contains "\/"/,
  ],
  [
    'the publisher key in the URL',
    () => sub(['tenant/a/**'], PUBLISHER_KEY),
    401,
    'invalid-token',
    /not a well-formed JWT/,
  ],
  // ---- authorization and tenant isolation ----
  [
    'a forged tenant (re-signed with a guessed key)',
    async () =>
      sub(
        ['tenant/a/**'],
        await tok(
          { sub: 'ub', tenant: 'a' },
          { key: new TextEncoder().encode('guessed-guessed-guessed-guessed-guessed!') },
        ),
      ),
    401,
    'invalid-token',
    /signature/,
  ],
  [
    "another tenant's topic",
    async () => sub(['tenant/a/**', 'tenant/b/**'], await tok({ sub: 'ua', tenant: 'a' })),
    403,
    'forbidden',
    /does not allow reading "tenant\/b\/\*\*"; it may read "tenant\/a\/\*\*", "user\/ua\/\*\*"/,
    { topic: 'tenant/b/**', topics: ['tenant/b/**'] },
  ],
  [
    'another tenant despite an over-broad grant',
    async () =>
      sub(
        ['tenant/b/feed'],
        await mint({ sub: 'ua', tenant: 'a', tidings: { subscribe: ['**'] } }, { aud: AUD, iss: ISS }),
      ),
    403,
    'forbidden',
    /"tenant\/b\/feed"/,
    { topic: 'tenant/b/feed' },
  ],
  [
    "another user's topic",
    async () => sub(['user/ub/**'], await tok({ sub: 'ua', tenant: 'a' })),
    403,
    'forbidden',
    /"user\/ub\/\*\*"/,
  ],
  [
    'a ../ escape',
    async () => sub(['tenant/a/../b/**'], await tok({ sub: 'ua', tenant: 'a' })),
    400,
    'invalid-pattern',
    /"\.\." segment/,
    { topic: 'tenant/a/../b/**' },
  ],
  [
    'encoded slashes',
    async () => {
      const t = await tok({ sub: 'ua', tenant: 'a' });
      queryTokens.push(t);
      return subscribeStatus(h.url, [], { rawQuery: `topic=tenant%2Fb%2F**&token=${t}` });
    },
    403,
    'forbidden',
    /"tenant\/b\/\*\*"/,
  ],
  [
    'double-encoded slashes',
    async () => {
      const t = await tok({ sub: 'ua', tenant: 'a' });
      queryTokens.push(t);
      return subscribeStatus(h.url, [], { rawQuery: `topic=tenant%252Fb%252Ffeed&token=${t}` });
    },
    403,
    'forbidden',
    /"tenant%2Fb%2Ffeed"/,
  ],
  [
    'a look-alike slash (U+2215)',
    async () => sub(['tenant/a∕..∕b/**'], await tok({ sub: 'ua', tenant: 'a' })),
    400,
    'invalid-pattern',
    /non-ASCII/,
  ],
  [
    'a fullwidth slash (U+FF0F)',
    async () => sub(['tenant／b/**'], await tok({ sub: 'ua', tenant: 'a' })),
    400,
    'invalid-pattern',
    /non-ASCII/,
  ],
  [
    'an overlong topic',
    async () => sub([`tenant/a/${'x'.repeat(300)}`], await tok({ sub: 'ua', tenant: 'a' })),
    400,
    'invalid-pattern',
    /limit is 256/,
  ],
  [
    'a pattern with too many wildcards',
    async () => sub(['tenant/a/*/*/*/**'], await tok({ sub: 'ua', tenant: 'a' })),
    400,
    'pattern-too-complex',
    /has 4 wildcard segments; the limit is 3/,
    { limit: 3, option: 'maxPatternWildcards' },
  ],
  [
    'too many topics',
    async () =>
      sub(
        ['tenant/a/1', 'tenant/a/2', 'tenant/a/3', 'tenant/a/4', 'tenant/a/5'],
        await tok({ sub: 'ua', tenant: 'a' }),
      ),
    400,
    'too-many-topics',
    /limit is 4/,
  ],
  // ---- publishing ----
  [
    'publishing without a token',
    () => pub({ topic: 'user/ua/x', type: 't', data: 1 }),
    401,
    'unauthorized',
    /requires authentication/,
  ],
  [
    'publishing with an expired token',
    async () =>
      pub({ topic: 'user/ua/x', type: 't', data: 1 }, await tok({ sub: 'ua', tenant: 'a' }, { expIn: -60 })),
    401,
    'token-expired',
    /expired/,
  ],
  [
    'publishing outside the publish grant',
    async () => pub({ topic: 'tenant/a/feed', type: 't', data: 1 }, await tok({ sub: 'ua', tenant: 'a' })),
    403,
    'forbidden',
    /does not allow publishing to "tenant\/a\/feed"; it may publish to "user\/ua\/\*\*"/,
    { topic: 'tenant/a/feed' },
  ],
  [
    'publishing into another tenant despite an over-broad grant',
    async () =>
      pub(
        [
          { topic: 'tenant/a/x', type: 't', data: 1 },
          { topic: 'tenant/b/feed', type: 't', data: 1 },
        ],
        await mint({ sub: 'ua', tenant: 'a', tidings: { publish: ['**'] } }, { aud: AUD, iss: ISS }),
      ),
    403,
    'forbidden',
    /"tenant\/b\/feed"/,
    { topic: 'tenant/b/feed' },
  ],
  [
    'an unauthenticated oversized body (refused before it is read)',
    () => pub(null, undefined, JSON.stringify({ topic: 'x', type: 't', data: 'x'.repeat(200_000) })),
    401,
    'unauthorized',
    /requires authentication/,
  ],
  [
    'an authenticated oversized body',
    async () =>
      pub(
        null,
        await tok({ sub: 'ua', tenant: 'a' }),
        JSON.stringify({ topic: 'user/ua/x', type: 't', data: 'x'.repeat(20_000) }),
      ),
    413,
    'payload-too-large',
    /limit of 8192 bytes/,
  ],
  [
    'an authenticated oversized payload',
    async () =>
      pub({ topic: 'user/ua/x', type: 't', data: 'x'.repeat(2000) }, await tok({ sub: 'ua', tenant: 'a' })),
    413,
    'payload-too-large',
    /limit is 1024/,
  ],
  [
    'authenticated malformed JSON',
    async () => pub(null, await tok({ sub: 'ua', tenant: 'a' }), '{"topic":'),
    400,
    'invalid-json',
    /not valid JSON/,
  ],
  [
    'a forged "to" target shape',
    async () => pub({ topic: 'user/ua/x', type: 't', data: 1, to: { users: 'ub' } }, PUBLISHER_KEY),
    400,
    'invalid-event',
    /"to" field/,
  ],
  // ---- forced logout endpoint ----
  [
    'POST /disconnect without credentials',
    () => post(h.url, { user: 'ua' }, { path: '/disconnect' }),
    401,
    'unauthorized',
    /requires authentication/,
  ],
  [
    'POST /disconnect with a user token',
    async () =>
      post(
        h.url,
        { user: 'ub' },
        {
          path: '/disconnect',
          headers: { authorization: `Bearer ${await tok({ sub: 'ua', tenant: 'a' })}` },
        },
      ),
    403,
    'forbidden',
    /needs the hub's publisher key/,
  ],
  [
    'POST /disconnect naming nobody',
    () =>
      post(
        h.url,
        { reason: 'x' },
        { path: '/disconnect', headers: { authorization: `Bearer ${PUBLISHER_KEY}` } },
      ),
    400,
    'bad-request',
    /exactly one of "user" or "session"/,
  ],
  [
    'POST /disconnect with an unknown field',
    () =>
      post(
        h.url,
        { user: 'nobody', why: 'x' },
        { path: '/disconnect', headers: { authorization: `Bearer ${PUBLISHER_KEY}` } },
      ),
    400,
    'bad-request',
    /Unknown field "why"/,
  ],
];

describe('hostile input against an authenticated hub', () => {
  it.each(
    cases.map(
      ([n, call, status, code, message, detail]) => [n, status, code, call, message, detail] as const,
    ),
  )('%s → %i %s', async (_name, status, code, call, message, detail) => {
    await good();
    const r = await call();
    expect(r.status).toBe(status);
    expect(r.body).toEqual({
      error: expect.objectContaining({ code, message: expect.stringMatching(message), ...detail }),
    });
    expect(r.body.error.message).toMatch(/[.!?)]$/);
    if (status === 401) expect(r.headers?.get('www-authenticate')).toMatch(/^Bearer/);
    await good();
  });

  it('filters a pattern broader than the grant instead of trusting it', async () => {
    const t = await tok({ sub: 'ua', tenant: 'a' });
    queryTokens.push(t);
    const wide = await StreamReader.open(h.url, ['**', 'tenant/*/feed'], { query: { token: t } });
    try {
      expect(wide.response.status).toBe(200);
      // Registered in the same step that writes the connected frame.
      await wide.waitFor((x) => x.frames.length >= 1);
      const before = sentA.length;
      await good();
      await h.hub.publish({ topic: 'user/ub/x', type: 't', data: 'private to ub' });
      await h.hub.publish({ topic: 'elsewhere', type: 't', data: 'not granted' });
      const mine = await h.hub.publish({ topic: 'user/ua/x', type: 't', data: 'mine' });
      await good();
      await wide.waitForEvents(3);
      await watchA.waitForEvents(sentA.length);
      expect(wide.events.map((e) => e.id)).toEqual([sentA[before], mine.id, sentA[before + 1]]);
    } finally {
      await wide.close();
    }
  });

  it('refuses a flood of publishes past the rate with 429 and Retry-After, losing no acknowledged event', async () => {
    const t = await tok({ sub: 'flooder', tenant: 'a' });
    const watcher = await StreamReader.open(h.url, ['user/flooder/**'], { query: { token: t } });
    queryTokens.push(t);
    try {
      await watcher.waitFor((x) => x.frames.length >= 1);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => pub({ topic: 'user/flooder/x', type: 't', data: i }, t)),
      );
      await good();
      const ok = results.filter((r) => r.status === 201);
      const limited = results.filter((r) => r.status === 429);
      expect(ok.length).toBe(10);
      expect(limited.length).toBe(20);
      expect(limited[0]?.body.error).toMatchObject({
        code: 'rate-limited',
        option: 'publishRate',
        limit: 0.01,
        burst: 10,
      });
      expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await watcher.waitForEvents(10);
      expect(new Set(watcher.events.map((e) => e.id))).toEqual(new Set(ok.map((r) => r.body.id)));
    } finally {
      await watcher.close();
    }
  });

  it('refuses a user past their connection limit, naming it, and frees the slot when a stream closes', async () => {
    const t = await tok({ sub: 'many', tenant: 'a' });
    queryTokens.push(t);
    const open = [];
    for (let i = 0; i < 3; i++)
      open.push(await StreamReader.open(h.url, ['tenant/a/feed'], { query: { token: t } }));
    expect(open.map((r) => r.response.status)).toEqual([200, 200, 200]);
    await good();
    const fourth = await subscribeStatus(h.url, ['tenant/a/feed'], { token: t });
    expect(fourth.status).toBe(429);
    expect(fourth.body.error).toMatchObject({
      code: 'too-many-connections',
      limit: 3,
      option: 'connectionsPerUser',
    });
    expect(fourth.body.error.message).toMatch(/User "many" of tenant "a" already has 3 open streams/);
    await open.pop()?.close();
    await until(() => h.hub.connections().filter((c) => c.user === 'many').length === 2);
    const again = await StreamReader.open(h.url, ['tenant/a/feed'], { query: { token: t } });
    expect(again.response.status).toBe(200);
    open.push(again);
    await good();
    for (const r of open) await r.close();
  });

  it('survives a flood of bad tokens', async () => {
    const bad = await tok({ sub: 'ua', tenant: 'a' }, { expIn: -60 });
    queryTokens.push(bad);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => subscribeStatus(h.url, ['tenant/a/**'], { token: bad })),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([401]));
    await good();
  });

  it('kept both tenants receiving every event, in order, and nothing of the other tenant', async () => {
    await watchA.waitForEvents(sentA.length);
    await watchB.waitForEvents(sentB.length);
    expect(watchA.events.map((e) => e.id)).toEqual(sentA);
    expect(watchB.events.map((e) => e.id)).toEqual(sentB);
    expect(watchA.events.every((e) => e.topic.startsWith('tenant/a/'))).toBe(true);
    expect(watchB.events.every((e) => e.topic.startsWith('tenant/b/'))).toBe(true);
    expect(watchA.ended || watchB.ended).toBe(false);
  });

  it('never let a query token reach a log line or an observer', () => {
    expect(log.lines.length).toBeGreaterThan(10);
    expect(rejectedUrls.length).toBeGreaterThan(10);
    const everything = [...log.lines, ...rejectedUrls].join('\n');
    for (const t of queryTokens) if (t.length > 0) expect(everything).not.toContain(t);
    expect(everything).not.toContain(PUBLISHER_KEY);
  });
});
