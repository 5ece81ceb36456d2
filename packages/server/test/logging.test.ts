import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Authorizer,
  ConnectionLogObserver,
  HubError,
  installAdmin,
  installMetrics,
} from '../src/index.js';
import { post, type RunningHub, StreamReader, startHub, until } from './helpers.js';

const SECRETS = {
  bearer: 'eyJhbGciOiJIUzI1NiJ9.SECRET-BEARER-7f3a',
  query: 'SECRET-QUERY-TOKEN-91c2',
  admin: 'SECRET-ADMIN-TOKEN-55d0',
  metrics: 'SECRET-METRICS-TOKEN-0b7e',
  payload: 'SECRET-PAYLOAD-e41d',
};

/** Reads the user from the bearer token and refuses a "revoked" one (message without the token). */
const authorizer: Authorizer = {
  async authorizeSubscribe(req) {
    const auth = req.header('authorization') ?? '';
    if (auth.includes('revoked'))
      throw new HubError(401, 'unauthorized', 'The token was revoked; sign in again.');
    return { principal: { user: auth ? 'alice' : undefined } };
  },
  async authorizePublish() {
    return {};
  },
};

let h: RunningHub | undefined;
let stopAdmin: (() => void) | undefined;
afterEach(async () => {
  stopAdmin?.();
  await h?.close();
  h = undefined;
});

/** Runs a workload that handles every kind of secret, logging through real pino at `level`. */
async function workload(level: 'info' | 'debug'): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(s) });
  h = await startHub({
    authorizer,
    logger,
    observers: [new ConnectionLogObserver(logger, { debugPayloads: true })],
  });
  installMetrics(h.hub, { token: SECRETS.metrics });
  stopAdmin = installAdmin(h.hub, { token: SECRETS.admin, intervalMs: 20 }).stop;
  const { url, hub } = h;

  const sub = await StreamReader.open(url, ['orders/**'], {
    headers: { authorization: `Bearer ${SECRETS.bearer}` },
    query: { token: SECRETS.query },
  });
  await sub.waitFor((r) => r.of('connected').length > 0);
  const sys = await StreamReader.open(url, ['$sys/stats'], {
    headers: { authorization: `Bearer ${SECRETS.admin}` },
  });
  await sys.waitFor((r) => r.of('stats').length > 0);
  expect(
    (await post(url, { topic: 'orders/1', type: 'order', data: { card: SECRETS.payload } })).status,
  ).toBe(201);
  await sub.waitForEvents(1);
  // Refusals that carry secrets in the URL and headers.
  await fetch(new URL(`/nowhere?token=${SECRETS.query}`, url));
  await fetch(new URL(`/admin?token=${SECRETS.query}`, url), { redirect: 'manual' });
  await fetch(new URL(`/admin?token=${SECRETS.admin}`, url), { redirect: 'manual' });
  await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${SECRETS.query}` } });
  await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${SECRETS.metrics}` } });
  await fetch(new URL(`/events?topic=a&token=${SECRETS.query}`, url), {
    headers: { authorization: `Bearer revoked-${SECRETS.bearer}` },
  });
  await sub.close();
  await sys.close();
  await until(() => hub.connections().length === 0);
  await h.close();
  h = undefined;
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('structured logs', () => {
  it('write one info line per connection open and close, with duration, bytes, events and reason', async () => {
    const logs = await workload('info');
    const opened = logs.filter((l) => l.msg === 'connection opened');
    const closed = logs.filter((l) => l.msg === 'connection closed');
    expect(opened).toHaveLength(2);
    expect(closed).toHaveLength(2);
    const app = closed.find((l) => l.user === 'alice');
    expect(app).toMatchObject({ level: 30, transport: 'sse', reason: 'client', events: 1 });
    expect(app?.durationMs).toBeTypeOf('number');
    expect(app?.bytes).toBeGreaterThan(100);
    expect(opened.find((l) => l.user === 'alice')).toMatchObject({
      topics: ['orders/**'],
      remote: '127.0.0.1',
    });
  });

  it('never contain a token or a payload at info', async () => {
    const text = JSON.stringify(await workload('info'));
    for (const [kind, secret] of Object.entries(SECRETS))
      expect([kind, text.includes(secret)]).toEqual([kind, false]);
  });

  it('contain payloads only at debug, and tokens not even then', async () => {
    const logs = await workload('debug');
    const text = JSON.stringify(logs);
    // The check above would see a leak: at debug, the payload is there.
    expect(text).toContain(SECRETS.payload);
    expect(logs.some((l) => l.msg === 'event published' && l.level === 20)).toBe(true);
    // Refusals are logged at debug with the path, never the query string.
    expect(logs.some((l) => l.path === '/nowhere' && l.code === 'not-found')).toBe(true);
    for (const kind of ['bearer', 'query', 'admin', 'metrics'] as const) {
      expect([kind, text.includes(SECRETS[kind])]).toEqual([kind, false]);
    }
  });
});
