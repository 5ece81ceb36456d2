import { afterEach, describe, expect, it } from 'vitest';
import type { HubCore } from '../../core/hub-core.js';
import type { Hub } from '../../core/hub-types.js';
import { memoryStore } from '../../engines/memory/memory-store.js';
import { createHub } from '../../hub.js';
import { installMetrics } from './install-metrics.js';
import { metricsPlugin } from './metrics-plugin.js';

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

function hub(): Hub {
  const h = createHub({ store: memoryStore() });
  hubs.push(h);
  return h;
}

function get(h: Hub, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return h.fetch(new Request(`http://hub.test${path}`, { headers }), { remoteAddress: '127.0.0.1' });
}

describe('metricsPlugin', () => {
  it('installs through the plugin interface createHub uses, observing the hub', async () => {
    const h = hub();
    const plugin = metricsPlugin({ processMetrics: false });
    expect(plugin.name).toBe('metrics');
    (h as HubCore).install(plugin);
    await h.publish({ topic: 'orders/1', type: 'created', data: {} });
    const res = await get(h, '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^tidings_events_published_total\{topic="orders",type="created"\} 1$/m);
    expect(text).toMatch(/^tidings_connections_open\{transport="sse"\} 0$/m);
  });

  it('guards the endpoint with the token, an empty Bearer counting as none', async () => {
    const h = hub();
    installMetrics(h, { token: 'scrape-secret', processMetrics: false, path: '/m' });
    const none = await get(h, '/m', { authorization: 'Bearer ' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tidings-metrics"');
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(
      /needs the metrics token/,
    );
    const wrong = await get(h, '/m', { authorization: 'Bearer scrape-secreT' });
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/does not match/);
    expect((await get(h, '/m', { authorization: 'bearer scrape-secret' })).status).toBe(200);
  });

  it('refuses an empty token before installing anything, and a second install', () => {
    expect(() => metricsPlugin({ token: '' })).toThrow(RangeError);
    const plugin = metricsPlugin({ processMetrics: false });
    plugin.install(hub());
    expect(() => plugin.install(hub())).toThrow(/installed already/);
  });

  it('returns the observer it installs from installMetrics', () => {
    const h = hub();
    const obs = installMetrics(h, { processMetrics: false });
    expect(obs.registry.getSingleMetric('tidings_connections_open')).toBeDefined();
  });
});
