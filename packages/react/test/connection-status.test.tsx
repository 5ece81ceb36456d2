import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ConnectionStatus, connectionLabel, TidingsProvider } from '@tidings/react';
import { Profiler } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../client/test/helpers.js';
import './app-events.js';
import { type AppClient, closeAll, liveHub, silentServer, until, withProvider } from './helpers.js';

afterEach(closeAll);

const status = () => screen.getByRole('status');

describe('<ConnectionStatus variant="compact">', () => {
  it('shows Connecting…, then Live, then Disconnected, in a polite live region', async () => {
    const silent = await silentServer();
    const hub = await liveHub();
    const pending = hub.client({ url: `${silent.url}/events` });
    const { unmount } = render(<ConnectionStatus />, { wrapper: withProvider(pending) });
    await waitFor(() => expect(status().textContent).toBe('Connecting…'));
    expect(status().getAttribute('aria-live')).toBe('polite');
    expect(status().closest('.tidings-status')?.getAttribute('data-tone')).toBe('pending');
    unmount();

    const client = hub.client();
    render(<ConnectionStatus />, { wrapper: withProvider(client) });
    await waitFor(() => expect(status().textContent).toBe('Live'));
    expect(status().closest('.tidings-status')?.getAttribute('data-tone')).toBe('live');
    act(() => client.disconnect());
    await waitFor(() => expect(status().textContent).toBe('Disconnected'));
    expect(status().closest('.tidings-status')?.getAttribute('data-tone')).toBe('down');
  });

  it('shows Reconnecting (attempt n)… while the hub is unreachable, and the error in the tooltip', async () => {
    const port = await closedPort();
    const hub = await liveHub();
    const client = hub.client({
      url: `http://127.0.0.1:${port}/events`,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    render(<ConnectionStatus />, { wrapper: withProvider(client) });
    await waitFor(() => expect(status().textContent).toBe('Reconnecting (attempt 1)…'));
    expect(screen.queryByRole('tooltip')).toBeNull();
    fireEvent.focus(screen.getByRole('button'));
    const tip = await screen.findByRole('tooltip');
    expect(screen.getByRole('button').getAttribute('aria-describedby')).toBe(tip.id);
    expect(tip.textContent).toMatch(/Last eventnever/);
    expect(tip.textContent).toMatch(/Attempts1/);
    expect(within(tip).getByText(client.state.lastError?.message as string)).toBeTruthy();
    fireEvent.blur(screen.getByRole('button'));
    await waitFor(() => expect(screen.queryByRole('tooltip')).toBeNull());
  });

  it('re-renders only for status changes, not for events, while the tooltip is closed', async () => {
    const hub = await liveHub();
    const client = hub.client();
    let commits = 0;
    render(
      <Profiler id="status" onRender={() => commits++}>
        <ConnectionStatus />
      </Profiler>,
      { wrapper: withProvider(client) },
    );
    await waitFor(() => expect(status().textContent).toBe('Live'));
    const settled = commits;
    for (let i = 0; i < 5; i++) await hub.publish('lease-added', { ip: `10.0.0.${i}`, mac: 'a' });
    await until(() => client.events.size === 5 && client.state.lastEventAt !== null);
    expect(commits).toBe(settled);

    // With the tooltip open, its details follow each event.
    fireEvent.focus(screen.getByRole('button'));
    await screen.findByRole('tooltip');
    const open = commits;
    await hub.publish('lease-added', { ip: '10.0.0.9', mac: 'a' });
    await waitFor(() => expect(commits).toBeGreaterThan(open));
  });

  it('labels are replaceable and hideWhenLive hides it while connected', async () => {
    expect(
      connectionLabel({ status: 'reconnecting', attempt: 3 }, { reconnecting: (n) => `Reconexión (${n})…` }),
    ).toBe('Reconexión (3)…');
    const hub = await liveHub();
    const client = hub.client();
    const { container } = render(<ConnectionStatus hideWhenLive labels={{ connecting: 'Verbinden…' }} />, {
      wrapper: withProvider(client),
    });
    await until(() => client.state.status === 'connected');
    await waitFor(() => expect(container.querySelector('.tidings-status')).toBeNull());
  });
});

describe('<ConnectionStatus> details on click, tap and keyboard', () => {
  const button = () => screen.getByRole('button');
  const expanded = () => button().getAttribute('aria-expanded');
  const tooltip = () => screen.queryByRole('tooltip');

  it('opens on a click even though the press also focuses and hovers it, and a second click closes', async () => {
    const hub = await liveHub();
    render(<ConnectionStatus />, { wrapper: withProvider(hub.client()) });
    await waitFor(() => expect(status().textContent).toBe('Live'));
    expect(expanded()).toBe('false');
    const controlled = document.getElementById(button().getAttribute('aria-controls') as string);
    expect(controlled?.getAttribute('role')).toBe('tooltip');
    expect(controlled?.hidden).toBe(true);
    // What a mouse click dispatches: enter, press, focus, release, click.
    fireEvent.pointerEnter(button(), { pointerType: 'mouse' });
    fireEvent.pointerDown(button(), { pointerType: 'mouse' });
    fireEvent.focus(button());
    fireEvent.click(button());
    expect(expanded()).toBe('true');
    expect(tooltip()?.textContent).toMatch(/Last event/);
    fireEvent.pointerLeave(button(), { pointerType: 'mouse' });
    expect(expanded()).toBe('true');
    fireEvent.pointerDown(button(), { pointerType: 'mouse' });
    fireEvent.click(button());
    expect(expanded()).toBe('false');
    expect(tooltip()).toBeNull();
  });

  it('opens on a tap (press, focus, click without hover) and closes on a tap elsewhere', async () => {
    const hub = await liveHub();
    render(
      <div>
        <ConnectionStatus />
        <p>elsewhere</p>
      </div>,
      { wrapper: withProvider(hub.client()) },
    );
    await waitFor(() => expect(status().textContent).toBe('Live'));
    fireEvent.pointerDown(button(), { pointerType: 'touch' });
    fireEvent.focus(button());
    fireEvent.click(button());
    expect(expanded()).toBe('true');
    fireEvent.pointerDown(screen.getByText('elsewhere'), { pointerType: 'touch' });
    expect(expanded()).toBe('false');
    expect(tooltip()).toBeNull();
  });

  it('shows on keyboard focus, hides on Escape, and Enter toggles', async () => {
    const hub = await liveHub();
    render(<ConnectionStatus />, { wrapper: withProvider(hub.client()) });
    await waitFor(() => expect(status().textContent).toBe('Live'));
    fireEvent.focus(button());
    expect(expanded()).toBe('true');
    expect(button().getAttribute('aria-describedby')).toBe(button().getAttribute('aria-controls'));
    fireEvent.keyDown(button(), { key: 'Escape' });
    expect(expanded()).toBe('false');
    fireEvent.click(button()); // what Enter or Space does on a button
    expect(expanded()).toBe('true');
    fireEvent.click(button());
    expect(expanded()).toBe('false');
    fireEvent.click(button());
    fireEvent.blur(button());
    expect(expanded()).toBe('false');
  });
});

describe('<ConnectionStatus> tone through an outage', () => {
  const tone = () => status().closest('.tidings-status')?.getAttribute('data-tone');

  it('turns red once a reconnection attempt has failed too (downAfterAttempts, 2 by default)', async () => {
    const port = await closedPort();
    const hub = await liveHub();
    const slow = hub.client({
      url: `http://127.0.0.1:${port}/events`,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    const { unmount } = render(<ConnectionStatus />, { wrapper: withProvider(slow) });
    await waitFor(() => expect(status().textContent).toBe('Reconnecting (attempt 1)…'));
    expect(tone()).toBe('pending');
    unmount();

    const fast = hub.client({
      url: `http://127.0.0.1:${port}/events`,
      backoff: { initialMs: 20, maxMs: 40 },
    });
    const second = render(<ConnectionStatus />, { wrapper: withProvider(fast) });
    await waitFor(() => expect(status().textContent).toBe('Reconnecting (attempt 2)…'));
    expect(tone()).toBe('down');
    second.unmount();

    const patient = hub.client({
      url: `http://127.0.0.1:${port}/events`,
      backoff: { initialMs: 20, maxMs: 40 },
    });
    render(<ConnectionStatus downAfterAttempts={Number.POSITIVE_INFINITY} />, {
      wrapper: withProvider(patient),
    });
    await waitFor(() => expect(status().textContent).toMatch(/attempt [3-9]/));
    expect(tone()).toBe('pending');
  });

  it('turns red after downAfterMs of trying, still Connecting…', async () => {
    const silent = await silentServer();
    const hub = await liveHub();
    const client = hub.client({ url: `${silent.url}/events` });
    render(<ConnectionStatus downAfterMs={300} />, { wrapper: withProvider(client) });
    await waitFor(() => expect(status().textContent).toBe('Connecting…'));
    expect(tone()).toBe('pending');
    await waitFor(() => expect(tone()).toBe('down'), { timeout: 3000 });
    expect(status().textContent).toBe('Connecting…');
  });

  it('stays yellow by default through the first seconds of a connect that hangs', async () => {
    const silent = await silentServer();
    const hub = await liveHub();
    render(<ConnectionStatus />, { wrapper: withProvider(hub.client({ url: `${silent.url}/events` })) });
    await waitFor(() => expect(status().textContent).toBe('Connecting…'));
    await new Promise((r) => setTimeout(r, 500));
    expect(tone()).toBe('pending');
  });
});

describe('<ConnectionStatus variant="full">', () => {
  it('has connect, disconnect and reconnect buttons, the recent events and the error details', async () => {
    const hub = await liveHub();
    const client: AppClient = hub.client();
    render(
      <TidingsProvider client={client}>
        <ConnectionStatus variant="full" recentEvents={2} />
      </TidingsProvider>,
    );
    await waitFor(() => expect(status().textContent).toBe('Live'));
    const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;
    expect([button('Connect').disabled, button('Disconnect').disabled, button('Reconnect').disabled]).toEqual(
      [true, false, false],
    );
    expect(screen.getByText('No events yet.')).toBeTruthy();
    for (const ip of ['1', '2', '3']) await hub.publish('lease-added', { ip: `10.0.0.${ip}`, mac: 'a' });
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(2));
    expect(screen.getAllByText('lease-added')).toHaveLength(2);

    const first = client.state.connectionId;
    act(() => button('Reconnect').click());
    await until(() => client.state.status === 'connected' && client.state.connectionId !== first);
    act(() => button('Disconnect').click());
    await waitFor(() => expect(status().textContent).toBe('Disconnected'));
    expect(screen.getByText('Disconnected on purpose.')).toBeTruthy();
    expect(button('Connect').disabled).toBe(false);

    await hub.close();
    act(() => button('Connect').click());
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/Last error/));
    expect(status().textContent).toMatch(/^Reconnecting \(attempt \d+\)…$/);
  });
});
