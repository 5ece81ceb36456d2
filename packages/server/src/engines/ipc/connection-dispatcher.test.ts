import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionDispatcher, type ConnectionDispatcherOptions } from './connection-dispatcher.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A primary's listener feeding `dispatcher`, as `tidings serve --workers` runs it. */
async function primary(o: ConnectionDispatcherOptions = {}) {
  const dispatcher = new ConnectionDispatcher(o);
  const server: Server = createServer({ pauseOnConnect: true }, (s) => dispatcher.dispatch(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    dispatcher.close();
    server.close();
  });
  return { dispatcher, port: (server.address() as AddressInfo).port };
}

/** Connects and resolves with how long until the connection was closed (or `open` after `ms`). */
function closedWithin(port: number, ms: number): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      s.destroy();
      resolve('open');
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    };
    s.on('close', done);
    s.on('error', () => s.destroy());
  });
}

/** A real worker process that takes connections and never confirms them (a worker about to die). */
function silentWorker(): ChildProcess {
  const child = spawn(
    process.execPath,
    ['-e', "process.on('message', () => {}); setInterval(() => {}, 1e6);"],
    { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
  );
  cleanup.push(() => child.kill('SIGKILL'));
  return child;
}

describe('ConnectionDispatcher', () => {
  it('closes a connection no worker became ready for within waitTimeoutMs', async () => {
    const { port } = await primary({ waitTimeoutMs: 200 });
    const t = await closedWithin(port, 3000);
    expect(t).not.toBe('open');
    expect(t as number).toBeGreaterThanOrEqual(150);
  });

  it('closes connections past maxWaiting at once', async () => {
    const { port, dispatcher } = await primary({ maxWaiting: 2, waitTimeoutMs: 60_000 });
    const held = [closedWithin(port, 1500), closedWithin(port, 1500)];
    await new Promise((r) => setTimeout(r, 100));
    expect(dispatcher.pending).toBe(2);
    const t = await closedWithin(port, 1500);
    expect(t).toBeLessThan(1000);
    expect(await Promise.all(held)).toEqual(['open', 'open']);
  });

  it('closes the connections a worker took but never confirmed when it dies', async () => {
    const { port, dispatcher } = await primary({ takeTimeoutMs: 60_000 });
    const worker = silentWorker();
    dispatcher.add(worker as never);
    const outcomes = [closedWithin(port, 4000), closedWithin(port, 4000), closedWithin(port, 4000)];
    await new Promise((r) => setTimeout(r, 300));
    expect(dispatcher.pending).toBe(3);
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    dispatcher.remove(worker as never);
    for (const t of await Promise.all(outcomes)) expect(t).not.toBe('open');
    expect(dispatcher.pending).toBe(0);
  });

  it('hands connections that waited to the first worker that becomes ready', async () => {
    const { port, dispatcher } = await primary({ takeTimeoutMs: 60_000 });
    const waiting = closedWithin(port, 4000);
    await new Promise((r) => setTimeout(r, 100));
    expect(dispatcher.pending).toBe(1);
    const worker = silentWorker();
    dispatcher.add(worker as never);
    // Taken by the worker (which holds it open), then closed when the worker dies.
    await new Promise((r) => setTimeout(r, 300));
    worker.kill('SIGKILL');
    await once(worker, 'exit');
    dispatcher.remove(worker as never);
    expect(await waiting).not.toBe('open');
  });
});
