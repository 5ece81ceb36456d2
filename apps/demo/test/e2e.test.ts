import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoRig, hasChromium, startDemo } from './demo-harness.js';

describe.skipIf(!hasChromium)('the demo in Chromium', () => {
  let rig: DemoRig;
  beforeAll(async () => {
    rig = await startDemo();
  }, 90_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('flashes a lease added by one backend call in two users’ windows within 1 s', async () => {
    const a = await rig.openAs('alice', '/leases');
    const b = await rig.openAs('bob', '/leases');
    await a.page.waitForSelector('tr[data-ip]');
    await b.page.waitForSelector('tr[data-ip]');
    const started = Date.now();
    const added = await rig.call<{ ip: string }>('carol', 'POST', '/api/leases', {
      pool: 'iot',
      ip: '10.0.3.77',
      hostname: 'e2e-sensor',
    });
    expect(added.status).toBe(201);
    const flashed = (page: typeof a.page) =>
      page
        .waitForSelector('tr[data-ip="10.0.3.77"][data-flash="added"]', { timeout: 1000 })
        .then(() => Date.now() - started);
    const [ta, tb] = await Promise.all([flashed(a.page), flashed(b.page)]);
    expect(ta).toBeLessThanOrEqual(1000);
    expect(tb).toBeLessThanOrEqual(1000);
    await a.context.close();
    await b.context.close();
  });

  it('has no console errors', () => {
    expect(rig.errors).toEqual([]);
  });
});
