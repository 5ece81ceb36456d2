import { act, render, renderHook, screen, waitFor } from '@testing-library/react';
import {
  TidingsProvider,
  useClient,
  useConnection,
  useEvent,
  useEvents,
  useForceLogout,
  useLastEvent,
} from '@tidings/react';
import { StrictMode, useState } from 'react';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import './app-events.js';
import { type AppClient, closeAll, liveHub, until, withProvider } from './helpers.js';

afterEach(closeAll);

async function connected(client: AppClient) {
  await until(() => client.state.status === 'connected' && client.state.connectionId !== null);
}

describe('useEvent', () => {
  it('calls the latest handler with typed data, without resubscribing per render', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const seen: string[] = [];
    let subscriptions = 0;
    const on = client.on.bind(client);
    (client as { on: typeof client.on }).on = ((type: string, l: never) => {
      subscriptions++;
      return on(type as '*', l);
    }) as typeof client.on;

    function Probe({ suffix }: { suffix: string }) {
      useEvent('lease-added', (lease, meta) => {
        expectTypeOf(lease).toEqualTypeOf<{ ip: string; mac: string }>();
        expectTypeOf(meta.type).toEqualTypeOf<'lease-added'>();
        seen.push(`${lease.ip}${suffix}`);
      });
      return null;
    }
    const { rerender } = render(<Probe suffix="-a" />, { wrapper: withProvider(client) });
    await connected(client);
    const before = subscriptions;
    rerender(<Probe suffix="-b" />);
    rerender(<Probe suffix="-c" />);
    await hub.publish('lease-added', { ip: '10.0.0.7', mac: 'aa' });
    await waitFor(() => expect(seen).toEqual(['10.0.0.7-c']));
    expect(subscriptions - before).toBe(0);
  });

  it('applies the filter, and globs receive every matching type', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const seen: string[] = [];
    function Probe() {
      useEvent('lease-added', (l) => seen.push(`only:${l.ip}`), { filter: (l) => l.ip.endsWith('.2') });
      useEvent('lease-*', (_data, meta) => seen.push(`glob:${meta.type}`));
      return null;
    }
    render(<Probe />, { wrapper: withProvider(client) });
    await connected(client);
    await hub.publish('lease-added', { ip: '10.0.0.1', mac: 'a' });
    await hub.publish('lease-added', { ip: '10.0.0.2', mac: 'b' });
    await hub.publish('lease-removed', { ip: '10.0.0.1' });
    await hub.publish('alert.raised', { severity: 'info', message: 'x' }, 'alerts');
    await waitFor(() => expect(seen).toHaveLength(4));
    expect(seen).toEqual(['glob:lease-added', 'only:10.0.0.2', 'glob:lease-added', 'glob:lease-removed']);
  });

  it('throws a sentence naming the provider outside one', () => {
    expect(() => renderHook(() => useClient())).toThrow(
      /useClient must be called inside a <TidingsProvider>/,
    );
  });
});

describe('useEvents and useLastEvent', () => {
  it('re-render only for matching events (render counts)', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const renders = { leases: 0, alerts: 0, last: 0 };
    function Leases() {
      renders.leases++;
      const list = useEvents({ types: ['lease-added'] });
      return <p data-testid="leases">{list.map((e) => e.data.ip).join(',')}</p>;
    }
    function Alerts() {
      renders.alerts++;
      const list = useEvents({ types: ['alert.*'], limit: 2 });
      return <p data-testid="alerts">{list.map((e) => (e.declared ? e.data.message : '?')).join(',')}</p>;
    }
    function Last() {
      renders.last++;
      const last = useLastEvent('lease-removed');
      return <p data-testid="last">{last?.data.ip ?? 'none'}</p>;
    }
    render(
      <>
        <Leases />
        <Alerts />
        <Last />
      </>,
      { wrapper: withProvider(client) },
    );
    await connected(client);
    const base = { ...renders };
    expect(base).toEqual({ leases: 1, alerts: 1, last: 1 });

    for (let i = 1; i <= 5; i++)
      await hub.publish('alert.raised', { severity: 'info', message: `a${i}` }, 'alerts');
    await waitFor(() => expect(screen.getByTestId('alerts').textContent).toBe('a4,a5'));
    await hub.publish('lease-added', { ip: '10.0.0.1', mac: 'a' });
    await waitFor(() => expect(screen.getByTestId('leases').textContent).toBe('10.0.0.1'));
    await hub.publish('lease-removed', { ip: '10.0.0.9' });
    await waitFor(() => expect(screen.getByTestId('last').textContent).toBe('10.0.0.9'));

    expect(renders.leases - base.leases).toBe(1);
    expect(renders.last - base.last).toBe(1);
    expect(renders.alerts - base.alerts).toBeGreaterThanOrEqual(1);
    expect(renders.alerts - base.alerts).toBeLessThanOrEqual(5);
  });

  it('returns events buffered before mount, oldest first, typed', async () => {
    const hub = await liveHub();
    const client = hub.client();
    client.connect();
    await connected(client);
    await hub.publish('lease-added', { ip: '10.0.0.1', mac: 'a' });
    await hub.publish('lease-added', { ip: '10.0.0.2', mac: 'b' });
    await until(() => client.events.size === 2);
    const { result } = renderHook(() => useEvents({ types: ['lease-added'] }), {
      wrapper: withProvider(client),
    });
    expectTypeOf(result.current[0]?.data).toEqualTypeOf<{ ip: string; mac: string } | undefined>();
    expect(result.current.map((e) => e.data.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('types glob selections as the declared events they match, or undeclared ones', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const { result } = renderHook(() => useEvents({ types: ['lease-*'] }), { wrapper: withProvider(client) });
    const e = result.current[0];
    if (e?.declared) expectTypeOf(e.type).toEqualTypeOf<'lease-added' | 'lease-updated' | 'lease-removed'>();
    else expectTypeOf(e?.data).toEqualTypeOf<unknown>();
    await until(() => client.state.status === 'connected');
    await hub.publish('lease-removed', { ip: '10.0.0.3' });
    await hub.publish('lease-other', { anything: true });
    await waitFor(() => expect(result.current.map((x) => x.declared)).toEqual([true, false]));
  });
});

describe('TidingsProvider', () => {
  it('creates one client from options and connects only while enabled; logout forgets the events', async () => {
    const hub = await liveHub();
    const { events } = await import('./app-events.js');
    let client: ReturnType<typeof useClient> | undefined;
    let status: (() => string) | undefined;
    function Probe() {
      client = useClient();
      const s = useConnection((c) => c.status);
      status = () => s;
      const list = useEvents({ types: ['lease-added'] });
      return <p data-testid="count">{list.length}</p>;
    }
    function App() {
      const [loggedIn, setLoggedIn] = useState(true);
      return (
        <TidingsProvider
          url={`${hub.url}/events`}
          topics={['leases']}
          events={events}
          enabled={loggedIn}
          environment={{ logger: { debug() {}, warn() {}, error() {} } }}
        >
          <button type="button" onClick={() => setLoggedIn((v) => !v)}>
            toggle
          </button>
          <Probe />
        </TidingsProvider>
      );
    }
    render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
    await waitFor(() => expect(status?.()).toBe('connected'));
    const first = client;
    await hub.publish('lease-added', { ip: '10.0.0.1', mac: 'a' });
    await waitFor(() => expect(screen.getByTestId('count').textContent).toBe('1'));
    await until(() => hub.hub.connections().length === 1);

    act(() => screen.getByText('toggle').click());
    await waitFor(() => expect(status?.()).toBe('disconnected'));
    expect(screen.getByTestId('count').textContent).toBe('0');
    await until(() => hub.hub.connections().length === 0);

    act(() => screen.getByText('toggle').click());
    await waitFor(() => expect(status?.()).toBe('connected'));
    expect(client).toBe(first);
    client?.disconnect();
  });

  it('replaces its client when url or topics change by value, and disconnects the old one', async () => {
    const hub = await liveHub();
    const seen: ReturnType<typeof useClient>[] = [];
    function Probe() {
      seen.push(useClient());
      return null;
    }
    const quiet = { logger: { debug() {}, warn() {}, error() {} } };
    const app = (topics: string[]) => (
      <TidingsProvider url={`${hub.url}/events`} topics={topics} environment={quiet}>
        <Probe />
      </TidingsProvider>
    );
    const { rerender } = render(app(['leases']));
    const first = seen.at(-1);
    await until(() => first?.state.status === 'connected');
    rerender(app(['leases']));
    expect(seen.at(-1)).toBe(first);
    rerender(app(['leases', 'alerts']));
    const second = seen.at(-1);
    expect(second).not.toBe(first);
    await until(() => second?.state.status === 'connected');
    expect(first?.state.status).toBe('disconnected');
    second?.disconnect();
  });

  it('useForceLogout hears the hub end the session', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const reasons: string[] = [];
    renderHook(() => useForceLogout(({ reason }) => reasons.push(reason)), { wrapper: withProvider(client) });
    await connected(client);
    hub.hub.disconnect(client.state.connectionId as string, 'force-logout', { reason: 'Account disabled.' });
    await waitFor(() => expect(reasons).toEqual(['Account disabled.']));
    expect(client.state).toMatchObject({ status: 'disconnected', reason: 'force-logout' });
  });
});

describe('useConnection', () => {
  it('re-renders a status selector only when the status changes, not for every event', async () => {
    const hub = await liveHub();
    const client = hub.client();
    const statuses: string[] = [];
    function Probe() {
      statuses.push(useConnection((s) => s.status));
      return null;
    }
    render(<Probe />, { wrapper: withProvider(client) });
    await connected(client);
    await waitFor(() => expect(statuses.at(-1)).toBe('connected'));
    const renders = statuses.length;
    for (let i = 0; i < 10; i++) await hub.publish('lease-added', { ip: `10.0.0.${i}`, mac: 'a' });
    await until(() => client.events.size === 10);
    expect(statuses.length).toBe(renders);
  });
});
