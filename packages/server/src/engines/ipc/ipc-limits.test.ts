import { describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { ipcPair } from '../../../test/ipc-ports.js';
import { HubError } from '../../core/errors.js';
import type { SlotRequest } from '../../limits/limit-counters.js';
import { IpcLimitsHost, ipcLimitCounters } from './ipc-limits.js';

function workers(host: IpcLimitsHost, n: number) {
  return Array.from({ length: n }, () => {
    const { primary, worker } = ipcPair();
    host.attach(primary);
    return { primary, counters: ipcLimitCounters(worker) };
  });
}

const user = (key: string, limit = 2): SlotRequest => ({ counter: 'user', key, limit });
const ip = (key: string, limit = 10): SlotRequest => ({ counter: 'ip', key, limit });

describe('ipcLimitCounters', () => {
  it("counts every worker's slots in the primary: the limit holds across workers, all or none", async () => {
    const host = new IpcLimitsHost();
    const [a, b] = workers(host, 2);
    expect(await a?.counters.acquire([user('u'), ip('1.2.3.4')])).toBe(-1);
    expect(await b?.counters.acquire([user('u'), ip('1.2.3.4')])).toBe(-1);
    // The user is full on either worker; the address slot is not taken when the user's is refused.
    expect(await a?.counters.acquire([user('u'), ip('1.2.3.4')])).toBe(0);
    expect(await b?.counters.acquire([ip('1.2.3.4', 2), user('v')])).toBe(0);
    expect(host.counters.count('ip', '1.2.3.4')).toBe(2);
    b?.counters.release([user('u'), ip('1.2.3.4')]);
    // Releases are not answered, and channels are not ordered with each other.
    await until(() => host.counters.count('user', 'u') === 1);
    expect(await a?.counters.acquire([user('u')])).toBe(-1);
  });

  it("gives back a worker's slots when it is detached, and never frees slots a worker does not hold", async () => {
    const host = new IpcLimitsHost();
    const [a, b] = workers(host, 2);
    await a?.counters.acquire([user('u')]);
    await a?.counters.acquire([user('u')]);
    expect(await b?.counters.acquire([user('u')])).toBe(0);
    // A confused (or hostile) worker releasing what it never took changes nothing.
    b?.counters.release([user('u'), user('u')]);
    expect(await b?.counters.acquire([user('u')])).toBe(0);
    expect(host.heldBy(a?.primary as never)).toBe(2);
    host.detach(a?.primary as never);
    expect(host.counters.count('user', 'u')).toBe(0);
    expect(await b?.counters.acquire([user('u')])).toBe(-1);
  });

  it('shares one token bucket per key and rate across workers', async () => {
    const host = new IpcLimitsHost();
    const [a, b] = workers(host, 2);
    const rate = { perSecond: 1, burst: 3 };
    const got: number[] = [];
    for (const w of [a, b, a, b]) got.push((await w?.counters.take('publishRate', 'k', 1, rate)) as number);
    expect(got.slice(0, 3)).toEqual([0, 0, 0]);
    expect(got[3]).toBeGreaterThan(0);
  });

  it('fails with 503 once closed (the primary gone)', async () => {
    const host = new IpcLimitsHost();
    const [a] = workers(host, 1);
    a?.counters.close?.();
    const e = await a?.counters.acquire([user('u')]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubError);
    expect((e as HubError).status).toBe(503);
  });
});
