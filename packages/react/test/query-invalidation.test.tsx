import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { render, waitFor } from '@testing-library/react';
import { TidingsProvider } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { memoryStore } from '@tidings/server';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import './app-events.js';
import { type AppClient, closeAll, HeldTimers, liveHub, until } from './helpers.js';

afterEach(closeAll);

/** Query functions that count their calls per key. */
function counters() {
  const calls: Record<string, number> = {};
  const fn = (name: string) => async () => {
    calls[name] = (calls[name] ?? 0) + 1;
    return calls[name];
  };
  return { calls, fn };
}

function setup(client: AppClient, children: ReactNode) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  render(
    <QueryClientProvider client={queryClient}>
      <TidingsProvider client={client}>{children}</TidingsProvider>
    </QueryClientProvider>,
  );
  return queryClient;
}

const leaseBurst = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'lease-added', data: { ip: `10.0.0.${i}`, mac: 'aa' } }));

describe('useQueryInvalidation', () => {
  it('refetches each mapped key once for a burst of 50 events', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const timers = new HeldTimers();
    const { calls, fn } = counters();
    function Screen() {
      useQuery({ queryKey: ['leases'], queryFn: fn('leases') });
      useQuery({ queryKey: ['stats', 'pools'], queryFn: fn('pools') });
      useQuery({ queryKey: ['stats', 'status'], queryFn: fn('status') });
      useQuery({ queryKey: ['alerts'], queryFn: fn('alerts') });
      useQueryInvalidation({ 'lease-*': [['leases'], ['stats', 'pools']] }, { timers });
      return null;
    }
    setup(client, <Screen />);
    await waitFor(() => expect(calls).toEqual({ leases: 1, pools: 1, status: 1, alerts: 1 }));
    await until(() => client.state.status === 'connected');

    await hub.publishMany(leaseBurst(50));
    await until(() => client.stats.received === 50);
    // The coalescing window is still open: one pending invalidation per key, none done yet.
    expect(timers.pending.size).toBe(2);
    expect(calls).toEqual({ leases: 1, pools: 1, status: 1, alerts: 1 });

    expect(timers.flush()).toBe(2);
    await waitFor(() => expect(calls).toEqual({ leases: 2, pools: 2, status: 1, alerts: 1 }));
    expect(timers.pending.size).toBe(0);
  });

  it('invalidates keys from a function of the event, typed', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const { calls, fn } = counters();
    function Screen() {
      useQuery({ queryKey: ['alerts', 'critical'], queryFn: fn('critical') });
      useQuery({ queryKey: ['alerts', 'info'], queryFn: fn('info') });
      useQueryInvalidation({ 'alert.raised': (e) => [['alerts', e.data.severity]] }, { coalesceMs: 0 });
      return null;
    }
    setup(client, <Screen />);
    await waitFor(() => expect(calls).toEqual({ critical: 1, info: 1 }));
    await until(() => client.state.status === 'connected');
    await hub.publish('alert.raised', { severity: 'critical', message: 'Disk full' }, 'alerts');
    await waitFor(() => expect(calls).toEqual({ critical: 2, info: 1 }));
  });

  it('on reset invalidates every mapped key, including keys function rules returned lately', async () => {
    const hub = await liveHub({ store: memoryStore({ retention: { maxEvents: 3 } }) });
    const client = hub.client();
    const timers = new HeldTimers();
    const { calls, fn } = counters();
    const resets: string[] = [];
    client.onReset((r) => resets.push(r.reason));
    function Screen() {
      useQuery({ queryKey: ['leases'], queryFn: fn('leases') });
      useQuery({ queryKey: ['stats', 'pools'], queryFn: fn('pools') });
      useQuery({ queryKey: ['alerts', 'critical'], queryFn: fn('critical') });
      useQuery({ queryKey: ['unmapped'], queryFn: fn('unmapped') });
      useQueryInvalidation(
        { 'lease-*': [['leases'], ['stats', 'pools']], 'alert.raised': (e) => [['alerts', e.data.severity]] },
        { timers },
      );
      return null;
    }
    setup(client, <Screen />);
    await until(() => client.state.status === 'connected');
    await hub.publish('alert.raised', { severity: 'critical', message: 'Disk full' }, 'alerts');
    await until(() => client.stats.received === 1);
    timers.flush();
    await waitFor(() => expect(calls).toEqual({ leases: 1, pools: 1, critical: 2, unmapped: 1 }));

    // Away while retention drops the event it would resume after: the hub answers with a reset.
    client.disconnect();
    for (let i = 0; i < 5; i++)
      await hub.publish('alert.raised', { severity: 'info', message: `m${i}` }, 'alerts');
    client.connect();
    await until(() => resets.length === 1);
    expect(resets).toEqual(['history-truncated']);
    expect(timers.pending.size).toBe(3);
    timers.flush();
    await waitFor(() => expect(calls).toEqual({ leases: 2, pools: 2, critical: 3, unmapped: 1 }));
  });

  it('patches cached data in place with updates, without refetching', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const { calls, fn } = counters();
    let queryClient: QueryClient | undefined;
    function Screen() {
      useQuery({
        queryKey: ['leases'],
        queryFn: async () => {
          await fn('leases')();
          return [{ ip: '10.0.0.1', mac: 'a' }];
        },
      });
      useQueryInvalidation(
        {},
        {
          updates: {
            'lease-added': {
              key: ['leases'],
              update: (leases: { ip: string }[], e) => [...leases, e.data],
            },
          },
        },
      );
      return null;
    }
    queryClient = setup(client, <Screen />);
    await waitFor(() => expect(calls).toEqual({ leases: 1 }));
    await until(() => client.state.status === 'connected');
    await hub.publish('lease-added', { ip: '10.0.0.2', mac: 'b' });
    await waitFor(() =>
      expect(queryClient?.getQueryData(['leases'])).toEqual([
        { ip: '10.0.0.1', mac: 'a' },
        { ip: '10.0.0.2', mac: 'b' },
      ]),
    );
    expect(calls).toEqual({ leases: 1 });
  });
});
