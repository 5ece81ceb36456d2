import { afterEach, describe, expect, it } from 'vitest';
import { HubCore } from '../../core/hub-core.js';
import type { Hub } from '../../core/hub-types.js';
import { memoryStore } from '../../engines/memory/memory-store.js';
import { createHub } from '../../hub.js';
import { adminPlugin } from './admin-plugin.js';
import { installAdmin } from './install-admin.js';

const TOKEN = 'admin-token-for-tests';
const hubs: Hub[] = [];
const stops: Array<() => void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
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

describe('adminPlugin', () => {
  it('installs through the plugin interface createHub uses, serving the admin routes', async () => {
    const h = hub();
    expect(h).toBeInstanceOf(HubCore);
    const plugin = adminPlugin({ token: TOKEN });
    stops.push(() => plugin.stop());
    (h as HubCore).install(plugin);
    expect(plugin.name).toBe('admin');

    expect((await get(h, '/admin/stats')).status).toBe(401);
    const res = await get(h, '/admin/stats', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { node: string }).node).toBe(h.nodeId);
  });

  it('signs a browser in with ?token= once, then accepts the session cookie', async () => {
    const h = hub();
    const admin = installAdmin(h, { token: TOKEN });
    stops.push(admin.stop);
    const signIn = await get(h, `/admin?token=${TOKEN}`);
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^tidings_admin=[\w-]+$/);
    expect(cookie).not.toContain(TOKEN);
    expect((await get(h, '/admin/stats', { cookie: `other=1; ${cookie}` })).status).toBe(200);
    expect((await get(h, '/admin/stats', { cookie: `${cookie}x` })).status).toBe(401);
    expect((await get(h, `/admin?token=${TOKEN}x`)).status).toBe(401);
  });

  it('accepts an admin token holding blanks (a passphrase) as a Bearer credential', async () => {
    const h = hub();
    const passphrase = 'correct horse battery staple';
    stops.push(installAdmin(h, { token: passphrase }).stop);
    expect((await get(h, '/admin/stats', { authorization: `Bearer ${passphrase}` })).status).toBe(200);
    expect((await get(h, '/admin/stats', { authorization: 'Bearer correct horse' })).status).toBe(401);
  });

  it('refuses a short token before installing anything, and a second install', () => {
    expect(() => adminPlugin({ token: 'short' })).toThrow(RangeError);
    const plugin = adminPlugin({ token: TOKEN });
    stops.push(() => plugin.stop());
    plugin.install(hub());
    expect(() => plugin.install(hub())).toThrow(/installed already/);
  });

  it('stops as a no-op before it is installed', () => {
    expect(() => adminPlugin({ token: TOKEN }).stop()).not.toThrow();
  });
});
