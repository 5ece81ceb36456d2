import { render, waitFor } from '@testing-library/react';
import { TidingsProvider } from '@tidings/react';
import { swrKeyMatcher, useSWRInvalidation } from '@tidings/react/swr';
import type { ReactNode } from 'react';
import useSWR, { SWRConfig } from 'swr';
import { afterEach, describe, expect, it } from 'vitest';
import './app-events.js';
import { type AppClient, closeAll, HeldTimers, liveHub, until } from './helpers.js';

afterEach(closeAll);

function setup(client: AppClient, children: ReactNode) {
  render(
    <SWRConfig value={{ provider: () => new Map(), dedupingInterval: 0, revalidateOnFocus: false }}>
      <TidingsProvider client={client}>{children}</TidingsProvider>
    </SWRConfig>,
  );
}

describe('useSWRInvalidation', () => {
  it('revalidates each matching key once for a burst of 50 events, and every mapped target on reset', async () => {
    const hub = await liveHub();
    const client = hub.client({ lastEventId: 'no-such-id' });
    const timers = new HeldTimers();
    const calls: Record<string, number> = {};
    const fetcher = async (key: string | string[]) => {
      const k = String(key);
      calls[k] = (calls[k] ?? 0) + 1;
      return calls[k];
    };
    let resets = 0;
    client.onReset(() => resets++);
    function Screen() {
      useSWR('/api/leases?pool=a', fetcher);
      useSWR('/api/leases/7', fetcher);
      useSWR('/api/leases-archive', fetcher);
      useSWR(['/api/stats', 'pools'], fetcher);
      useSWRInvalidation({ 'lease-*': ['/api/leases', ['/api/stats']] }, { timers });
      return null;
    }
    setup(client, <Screen />);
    // Resuming from an id the hub does not know: a reset, which revalidates every mapped target.
    await until(() => resets === 1);
    await waitFor(() => expect(Object.keys(calls)).toHaveLength(4));
    expect(timers.flush()).toBe(2);
    await waitFor(() =>
      expect(calls).toEqual({
        '/api/leases?pool=a': 2,
        '/api/leases/7': 2,
        '/api/leases-archive': 1,
        '/api/stats,pools': 2,
      }),
    );

    await hub.publishMany(
      Array.from({ length: 50 }, (_, i) => ({
        type: 'lease-updated',
        data: { ip: `10.0.0.${i}`, mac: 'b' },
      })),
    );
    await until(() => client.stats.received === 50);
    expect(timers.pending.size).toBe(2);
    timers.flush();
    await waitFor(() =>
      expect(calls).toEqual({
        '/api/leases?pool=a': 3,
        '/api/leases/7': 3,
        '/api/leases-archive': 1,
        '/api/stats,pools': 3,
      }),
    );
  });

  it('patches cached data in place with updates, without revalidating', async () => {
    const hub = await liveHub();
    const client = hub.client();
    let fetches = 0;
    let seen: unknown;
    function Screen() {
      const { data } = useSWR('/api/leases', async () => {
        fetches++;
        return ['10.0.0.1'];
      });
      seen = data;
      useSWRInvalidation(
        {},
        {
          updates: {
            'lease-added': {
              key: '/api/leases',
              update: (ips: string[], e) => [...ips, (e.data as { ip: string }).ip],
            },
          },
        },
      );
      return null;
    }
    setup(client, <Screen />);
    await waitFor(() => expect(seen).toEqual(['10.0.0.1']));
    await until(() => client.state.status === 'connected');
    await hub.publish('lease-added', { ip: '10.0.0.2', mac: 'b' });
    await waitFor(() => expect(seen).toEqual(['10.0.0.1', '10.0.0.2']));
    expect(fetches).toBe(1);
  });
});

describe('swrKeyMatcher', () => {
  it('matches a URL and what is under it, array prefixes, and predicates', () => {
    const url = swrKeyMatcher('/actions');
    expect(['/actions', '/actions?s=1', '/actions/7', ['/actions', 1]].map(url)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['/actions-archive', '/action', ['x', '/actions'], 3].map(url)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const arr = swrKeyMatcher(['actions', { s: 1 }]);
    expect(arr(['actions', { s: 1 }, 'page'])).toBe(true);
    expect(arr(['actions', { s: 2 }])).toBe(false);
    expect(arr('actions')).toBe(false);
    expect(swrKeyMatcher((k) => k === 'x')('x')).toBe(true);
  });
});
