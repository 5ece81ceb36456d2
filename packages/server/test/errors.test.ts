import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

let h: RunningHub;
let watcher: StreamReader;
const delivered: string[] = [];

beforeAll(async () => {
  h = await startHub({
    maxPayloadBytes: 1024,
    maxBodyBytes: 8192,
    maxBatchSize: 5,
    maxTopicsPerSubscription: 3,
  });
  // A legitimate subscriber that must keep receiving everything while bad requests hammer the hub.
  watcher = await StreamReader.open(h.url, ['ok']);
  await until(() => h.hub.connections().length === 1);
});
afterAll(async () => {
  await watcher.close();
  await h.close();
});

async function good() {
  const r = await post(h.url, { topic: 'ok', type: 't', data: delivered.length });
  expect(r.status).toBe(201);
  delivered.push(r.body.id);
}

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked structurally below
type Call = () => Promise<{ status: number; body: any; headers?: Headers }>;
const cases: Array<[string, Call, number, string, RegExp]> = [
  ['malformed JSON', () => post(h.url, null, { raw: '{"topic":' }), 400, 'invalid-json', /not valid JSON/],
  ['a JSON scalar', () => post(h.url, 42), 400, 'invalid-event', /must be a JSON object/],
  [
    'a missing topic',
    () => post(h.url, { type: 't', data: 1 }),
    400,
    'invalid-event',
    /"topic" field is missing/,
  ],
  [
    'a missing type',
    () => post(h.url, { topic: 'ok', data: 1 }),
    400,
    'invalid-event',
    /"type" field is missing/,
  ],
  [
    'a missing data',
    () => post(h.url, { topic: 'ok', type: 't' }),
    400,
    'invalid-event',
    /"data" field is missing/,
  ],
  [
    'an unknown field',
    () => post(h.url, { topic: 'ok', type: 't', data: 1, payload: 2 }),
    400,
    'invalid-event',
    /Unknown field "payload"/,
  ],
  [
    'a bad topic',
    () => post(h.url, { topic: 'a//b', type: 't', data: 1 }),
    400,
    'invalid-topic',
    /empty segment/,
  ],
  [
    'a wildcard topic',
    () => post(h.url, { topic: 'a/*', type: 't', data: 1 }),
    400,
    'invalid-topic',
    /wildcards belong/,
  ],
  [
    'a reserved type',
    () => post(h.url, { topic: 'ok', type: 'heartbeat', data: 1 }),
    400,
    'invalid-event',
    /reserved/,
  ],
  [
    'a type with spaces',
    () => post(h.url, { topic: 'ok', type: 'a b', data: 1 }),
    400,
    'invalid-event',
    /printable ASCII/,
  ],
  [
    'an id with a newline',
    () => post(h.url, { topic: 'ok', type: 't', data: 1, id: 'a\nb' }),
    400,
    'invalid-event',
    /line breaks/,
  ],
  [
    'an id shaped like a generated one',
    () => post(h.url, { topic: 'ok', type: 't', data: 1, id: 'abcdef.12' }),
    400,
    'invalid-event',
    /shape of an id the hub generates/,
  ],
  [
    'a bad target',
    () => post(h.url, { topic: 'ok', type: 't', data: 1, to: { users: 'u1' } }),
    400,
    'invalid-event',
    /"to" field/,
  ],
  ['an empty batch', () => post(h.url, []), 400, 'invalid-event', /batch is empty/],
  [
    'a bad item in a batch',
    () => post(h.url, [{ topic: 'ok', type: 't', data: 1 }, { topic: 'ok' }]),
    400,
    'invalid-event',
    /^Event 1: /,
  ],
  [
    'an oversized payload',
    () => post(h.url, { topic: 'ok', type: 't', data: 'x'.repeat(2000) }),
    413,
    'payload-too-large',
    /limit is 1024/,
  ],
  [
    'an oversized body',
    () => post(h.url, null, { raw: JSON.stringify({ topic: 'ok', type: 't', data: 'x'.repeat(9000) }) }),
    413,
    'payload-too-large',
    /limit of 8192 bytes/,
  ],
  [
    'an oversized batch',
    () => post(h.url, Array(6).fill({ topic: 'ok', type: 't', data: 1 })),
    413,
    'batch-too-large',
    /limit is 5/,
  ],
  [
    'a form body',
    () => post(h.url, null, { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    415,
    'unsupported-media-type',
    /application\/json/,
  ],
  [
    'GET /publish',
    async () => {
      const r = await fetch(`${h.url}/publish`);
      return { status: r.status, body: await r.json(), headers: r.headers };
    },
    405,
    'method-not-allowed',
    /accepts POST/,
  ],
  [
    'POST /events',
    () => post(h.url, {}, { path: '/events?topic=ok' }),
    405,
    'method-not-allowed',
    /accepts GET/,
  ],
  [
    'an unknown path',
    async () => {
      const r = await fetch(`${h.url}/nope`);
      return { status: r.status, body: await r.json() };
    },
    404,
    'not-found',
    /nothing at \/nope/,
  ],
  [
    '/events without topic',
    async () => {
      const r = await fetch(`${h.url}/events`);
      return { status: r.status, body: await r.json() };
    },
    400,
    'invalid-pattern',
    /at least one topic/,
  ],
  [
    '/events with a bad pattern',
    async () => {
      const r = await fetch(`${h.url}/events?topic=a/**/b`);
      return { status: r.status, body: await r.json() };
    },
    400,
    'invalid-pattern',
    /only end a pattern/,
  ],
  [
    '/events with too many topics',
    async () => {
      const r = await fetch(`${h.url}/events?topic=a&topic=b&topic=c&topic=d`);
      return { status: r.status, body: await r.json() };
    },
    400,
    'too-many-topics',
    /limit is 3/,
  ],
  [
    '/events with an overlong Last-Event-ID',
    async () => {
      const r = await fetch(`${h.url}/events?topic=a`, { headers: { 'last-event-id': 'x'.repeat(2000) } });
      return { status: r.status, body: await r.json() };
    },
    400,
    'bad-request',
    /at most 1024/,
  ],
];

describe('error responses', () => {
  it.each(cases)('%s → %i %s', async (_name, call, status, code, message) => {
    await good();
    const r = await call();
    expect(r.status).toBe(status);
    expect(r.body).toEqual({
      error: expect.objectContaining({ code, message: expect.stringMatching(message) }),
    });
    expect(r.body.error.message).toMatch(/[.!?)]$/); // whole sentences
    if (status === 405) expect(r.headers?.get('allow')).toBeTruthy();
    await good();
  });

  it('kept serving the legitimate subscriber every event, in order', async () => {
    await watcher.waitForEvents(delivered.length);
    expect(watcher.events.map((e) => e.id)).toEqual(delivered);
    expect(h.hub.connections()).toHaveLength(1);
  });
});
