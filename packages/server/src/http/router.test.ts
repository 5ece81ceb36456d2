import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../test/helpers.js';
import { installMetrics } from '../index.js';
import type { HubRequest } from './hub-request.js';
import { Router } from './router.js';

const hubs: RunningHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

async function notFound(url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

describe('the 404 answer', () => {
  it('names every route the hub serves, the WebSocket transport included', async () => {
    const h = await startHub();
    hubs.push(h);
    expect(await notFound(`${h.url}/nope`)).toEqual({
      status: 404,
      body: {
        error: {
          code: 'not-found',
          message:
            'There is nothing at /nope; the hub serves /events, /ws, /publish, /healthz, /disconnect, /presence and /commands/<name>.',
        },
      },
    });
  });

  it('names the routes plugins mount, such as /metrics and the Mercure endpoints', async () => {
    const h = await startHub({ mercure: { anonymous: true, subscriptions: true } });
    hubs.push(h);
    installMetrics(h.hub, { token: 'metrics-token-0123456789' });
    const { status, body } = await notFound(`${h.url}/ws/nope`);
    expect(status).toBe(404);
    expect((body as { error: { message: string } }).error.message).toBe(
      'There is nothing at /ws/nope; the hub serves /events, /ws, /publish, /healthz, /disconnect, /.well-known/mercure, /.well-known/mercure/subscriptions, /, /presence, /metrics, /.well-known/mercure/subscriptions/<rest> and /commands/<name>.',
    );
  });

  it('lists /ws only when a WebSocket route is mounted', () => {
    const req = (path: string) => ({ path, method: 'GET' }) as HubRequest;
    const handler = async () => ({ status: 204, headers: {}, body: '' });
    const r = new Router();
    r.add('GET', '/events', handler);
    r.add('POST', '/publish', handler);
    expect(() => r.find(req('/x'))).toThrow('There is nothing at /x; the hub serves /events and /publish.');
    r.add('GET', '/ws', handler);
    expect(() => r.find(req('/x'))).toThrow(
      'There is nothing at /x; the hub serves /events, /ws and /publish.',
    );
  });
});
