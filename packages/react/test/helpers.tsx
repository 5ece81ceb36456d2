import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ClientOptions, createClient, type TidingsClient } from '@tidings/client';
import { TidingsProvider } from '@tidings/react';
import type { HubOptions } from '@tidings/server';
import type { ReactNode } from 'react';
import { type RunningHub, startHub, until } from '../../server/test/helpers.js';
import { events } from './app-events.js';

export { until };
export type AppClient = TidingsClient<typeof events>;

/** A quiet logger: the client's warnings are expected in these tests. */
const logger = { debug() {}, warn() {}, error() {} };

/** A real hub on an ephemeral port, and clients of it. */
export interface LiveHub extends RunningHub {
  /** A client of the `leases` and `alerts` topics with the test contract. */
  client(options?: Partial<ClientOptions<typeof events>>): AppClient;
  /** Publishes through the hub (durable, then delivered to every matching stream). */
  publish(type: string, data: unknown, topic?: string): Promise<void>;
  /** Publishes several events in one batch. */
  publishMany(items: { type: string; data: unknown; topic?: string }[]): Promise<void>;
}

const running: (() => Promise<void> | void)[] = [];

/** Closes everything the tests of a file opened (call in afterEach). */
export async function closeAll(): Promise<void> {
  for (const c of running.splice(0).reverse()) await c();
}

export async function liveHub(options: HubOptions = {}): Promise<LiveHub> {
  const h = await startHub({ retryMs: 200, ...options });
  running.push(() => h.close());
  return {
    ...h,
    client(options = {}) {
      const c = createClient({
        url: `${h.url}/events`,
        topics: ['leases', 'alerts'],
        events,
        backoff: { initialMs: 100, maxMs: 200 },
        environment: { logger },
        ...options,
      });
      running.unshift(() => c.disconnect());
      return c;
    },
    async publish(type, data, topic = 'leases') {
      await h.hub.publish({ topic, type, data });
    },
    async publishMany(items) {
      await h.hub.publish(items.map((i) => ({ topic: i.topic ?? 'leases', type: i.type, data: i.data })));
    },
  };
}

/** A server that accepts connections and never answers: a client stays `connecting`. */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  running.push(close);
  return { url, close };
}

/** Wraps children in a provider for `client`. */
export function withProvider(client: AppClient, enabled = true) {
  return ({ children }: { children?: ReactNode }) => (
    <TidingsProvider client={client} enabled={enabled}>
      {children}
    </TidingsProvider>
  );
}

/** Timers that fire only when told to: a coalescing window closes when the test says. */
export class HeldTimers {
  private seq = 0;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.pending.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };
  /** Fires every pending timer. */
  flush(): number {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.fn();
    return all.length;
  }
}
