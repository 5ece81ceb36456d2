import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type {
  AnyEventDefinitions,
  ClientEnvironment,
  ClientLogger,
  ConnectionState,
  TidingsClient,
  TimerHandle,
  TimerSource,
} from '@tidings/client';
import type { TidingsEvent } from '@tidings/protocol';
import { until } from '../../server/test/helpers.js';

export { post, type RunningHub, startHub, until } from '../../server/test/helpers.js';

/** A logger that keeps lines for assertions instead of printing them. */
export function memoryLogger(): ClientLogger & { lines: string[] } {
  const lines: string[] = [];
  const add =
    (level: string) =>
    (m: string, ...d: unknown[]) => {
      lines.push(
        `${level} ${m}${d.length ? ` ${d.map((x) => (x instanceof Error ? x.message : String(x))).join(' ')}` : ''}`,
      );
    };
  return { lines, debug: add('debug'), warn: add('warn'), error: add('error') };
}

/** Everything a client reported, for assertions. */
export interface Recorder {
  events: TidingsEvent[];
  states: ConnectionState[];
  statuses: string[];
  ids(): string[];
}

/** Records every event (through `'*'`) and every state of `client`. */
export function record<D extends AnyEventDefinitions | undefined>(client: TidingsClient<D>): Recorder {
  const r: Recorder = {
    events: [],
    states: [],
    statuses: [],
    ids: () => r.events.map((e) => e.id),
  };
  client.on('*', (e) => r.events.push(e as TidingsEvent));
  client.onState((s) => {
    r.states.push(s);
    if (r.statuses[r.statuses.length - 1] !== s.status) r.statuses.push(s.status);
  });
  return r;
}

/** Waits until the client's state satisfies `cond`. */
export async function waitForState<D extends AnyEventDefinitions | undefined>(
  client: TidingsClient<D>,
  cond: (s: ConnectionState) => boolean,
  ms = 10_000,
): Promise<ConnectionState> {
  await until(
    () => cond(client.state),
    ms,
    () => `state is ${JSON.stringify(client.state)}`,
  );
  return client.state;
}

/**
 * Timers that fire only when told to, recording every requested delay: for checking backoff
 * decisions while everything else (sockets, fetch) is real.
 */
export class ManualTimers implements TimerSource {
  private seq = 0;
  private clock = 1_700_000_000_000;
  readonly pending = new Map<number, { fn: () => void; ms: number; at: number; label: string }>();
  readonly requested: number[] = [];

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { fn, ms, at: this.clock + ms, label: new Error().stack?.split('\n')[2] ?? '' });
    this.requested.push(ms);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }

  now(): number {
    return this.clock;
  }

  /** Timers due at `ms` from now, as requested. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }

  /** Moves the clock to the earliest pending timer whose delay matches `pick`, and fires it. */
  fire(pick: (ms: number) => boolean = () => true): number {
    const entries = [...this.pending.entries()]
      .filter(([, t]) => pick(t.ms))
      .sort((a, b) => a[1].at - b[1].at);
    const first = entries[0];
    if (!first) throw new Error(`no pending timer matches; pending: ${this.delays().join(', ')}`);
    const [id, t] = first;
    this.pending.delete(id);
    this.clock = Math.max(this.clock, t.at);
    t.fn();
    return t.ms;
  }
}

/** A TCP proxy in front of a hub, whose connections can be frozen: open, but passing no byte. */
export class FreezingProxy {
  private server!: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;
  url = '';
  accepted = 0;

  static async start(target: string): Promise<FreezingProxy> {
    const p = new FreezingProxy();
    const { hostname, port } = new URL(target);
    p.server = createServer((client) => {
      p.accepted++;
      const upstream = new (client.constructor as typeof Socket)();
      upstream.connect(Number(port), hostname);
      const pair = { client, upstream };
      p.pairs.add(pair);
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (d) => {
          // A frozen connection swallows bytes: like a NAT box or proxy that lost its state.
          if (!p.frozen && !(from as Socket & { frozen?: boolean }).frozen) to.write(d);
        });
      forward(client, upstream);
      forward(upstream, client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        p.pairs.delete(pair);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    p.server.listen(0, '127.0.0.1');
    await once(p.server, 'listening');
    p.url = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
    return p;
  }

  /** Open connections through the proxy. */
  get open(): number {
    return this.pairs.size;
  }

  /** Freezes every connection open now; later connections pass normally. */
  freezeCurrent(): void {
    for (const { client, upstream } of this.pairs) {
      (client as Socket & { frozen?: boolean }).frozen = true;
      (upstream as Socket & { frozen?: boolean }).frozen = true;
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }
}

/** An environment for Node tests: quiet logger, otherwise the defaults. */
export function quietEnv(extra: Partial<ClientEnvironment> = {}): Partial<ClientEnvironment> & {
  logger: ReturnType<typeof memoryLogger>;
} {
  return { logger: memoryLogger(), ...extra } as Partial<ClientEnvironment> & {
    logger: ReturnType<typeof memoryLogger>;
  };
}

/** One request to a {@link RawSseServer}. */
export interface RawRequest {
  /** 1 for the first request, 2 for the second… */
  n: number;
  url: URL;
  headers: import('node:http').IncomingHttpHeaders;
  res: import('node:http').ServerResponse;
  /** Writes SSE text as is. */
  send(text: string): void;
}

/**
 * A hand-written SSE server over real sockets, for behaviour the hub never shows (duplicates,
 * garbage frames, odd statuses). Each request goes to `handler`.
 */
export async function rawSseServer(handler: (r: RawRequest) => void): Promise<{
  url: string;
  requests: RawRequest[];
  close(): Promise<void>;
}> {
  const { createServer: createHttpServer } = await import('node:http');
  const requests: RawRequest[] = [];
  const server = createHttpServer((req, res) => {
    const r: RawRequest = {
      n: requests.length + 1,
      url: new URL(req.url ?? '/', 'http://x'),
      headers: req.headers,
      res,
      send: (text) => res.write(text),
    };
    requests.push(r);
    handler(r);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((res) => server.close(res));
    },
  };
}

/** Starts a 200 event stream on a raw request. */
export function openStream(r: RawRequest, retryMs?: number): void {
  r.res.writeHead(200, { 'content-type': 'text/event-stream' });
  r.res.flushHeaders();
  r.send(
    `${retryMs === undefined ? '' : `retry: ${retryMs}\n`}event: connected\ndata: {"connectionId":"raw-${r.n}","topics":["t"],"heartbeatMs":15000,"serverTime":"2024-01-01T00:00:00Z"}\n\n`,
  );
}

/** An SSE frame carrying a Tidings envelope. */
export function envelopeFrame(id: string, type: string, data: unknown, topic = 't'): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ id, topic, type, time: '2024-01-01T00:00:00.000Z', data })}\n\n`;
}

/** A visibility or online flag the test flips, as the page would. */
export class Flag {
  private readonly listeners = new Set<(v: boolean) => void>();
  constructor(public value = true) {}
  isVisible = (): boolean => this.value;
  isOnline = (): boolean => this.value;
  subscribe = (l: (v: boolean) => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  set(v: boolean): void {
    this.value = v;
    for (const l of this.listeners) l(v);
  }
  get subscribers(): number {
    return this.listeners.size;
  }
}

/** A port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
