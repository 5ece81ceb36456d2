import { render, screen, waitFor } from '@testing-library/react';
import type { CommandError, WebSocketConstructor } from '@tidings/client';
import { useCommand } from '@tidings/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import './app-events.js';
import { closeAll, liveHub, until, withProvider } from './helpers.js';

afterEach(closeAll);

describe('useCommand', () => {
  for (const transport of ['sse', 'websocket'] as const) {
    it(`runs a hub command and shows pending, result and error (${transport})`, async () => {
      const hub = await liveHub();
      let release: (() => void) | undefined;
      hub.hub.onCommand('job.pause', (args: { jobId: string }, ctx) => {
        return new Promise((resolve) => {
          release = () => resolve({ jobId: args.jobId, status: 'paused', via: ctx.transport });
        });
      });
      hub.hub.onCommand('job.refuse', () => {
        throw new Error('internal detail');
      });
      const client = hub.client({
        transport,
        environment: {
          WebSocket: WebSocket as unknown as WebSocketConstructor,
          logger: { debug() {}, warn() {}, error() {} },
        },
      });
      let runs: ((args?: { jobId: string }) => Promise<unknown>)[] = [];
      function Pause() {
        const [name, setName] = useState('job.pause');
        const pause = useCommand<{ jobId: string }, { status: string; via: string }>(name);
        runs.push(pause.run);
        return (
          <div>
            <button type="button" onClick={() => pause.run({ jobId: '7' })}>
              run
            </button>
            <button type="button" onClick={() => setName('job.refuse')}>
              switch
            </button>
            <output data-testid="state">
              {pause.pending ? 'pending' : 'idle'}|{pause.result?.status ?? '-'}|{pause.result?.via ?? '-'}|
              {pause.error ? `${(pause.error as CommandError).code}: ${pause.error.message}` : '-'}
            </output>
          </div>
        );
      }
      render(<Pause />, { wrapper: withProvider(client) });
      await until(() => client.state.status === 'connected');
      const state = () => screen.getByTestId('state').textContent;
      runs = runs.slice(-1);
      screen.getByText('run').click();
      await waitFor(() => expect(state()).toBe('pending|-|-|-'));
      await until(() => release !== undefined);
      release?.();
      const via = transport === 'sse' ? 'http' : 'websocket';
      await waitFor(() => expect(state()).toBe(`idle|paused|${via}|-`));
      // run keeps its identity while the name does.
      expect(new Set(runs).size).toBe(1);

      screen.getByText('switch').click();
      await waitFor(() => expect(runs.length).toBeGreaterThan(1));
      expect(runs[runs.length - 1]).not.toBe(runs[0]);
      screen.getByText('run').click();
      await waitFor(() =>
        expect(state()).toMatch(/^idle\|paused\|.*\|command-failed: The command "job\.refuse" failed/),
      );
      expect(state()).not.toMatch(/internal detail/);
    });
  }

  it('run never rejects: the error is in error', async () => {
    const hub = await liveHub();
    const client = hub.client();
    let run: ((args?: unknown) => Promise<unknown>) | undefined;
    function Probe() {
      run = useCommand('nope.nothing').run;
      return null;
    }
    render(<Probe />, { wrapper: withProvider(client) });
    await until(() => client.state.status === 'connected');
    await expect(run?.()).resolves.toBeUndefined();
  });
});
