import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TidingsEvent } from '@tidings/protocol';
import { createParser } from 'eventsource-parser';
import { createHub, createHubServer, type Hub, type HubOptions, memoryStore } from '../src/index.js';

/** A hub listening on an ephemeral port of 127.0.0.1. */
export interface RunningHub {
  hub: Hub;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a hub (memory store unless `opts` says otherwise) on a free port with
 * `createHubServer`, as `tidings serve` does: WebSocket upgrades wired, event streams served by
 * the lean stream front unless `leanStreams` is false.
 */
export async function startHub(opts: HubOptions & { leanStreams?: boolean } = {}): Promise<RunningHub> {
  const { leanStreams, ...hubOptions } = opts;
  const hub = createHub({ store: memoryStore(), ...hubOptions });
  const server = createHubServer(hub.handleNode, { leanStreams });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** One parsed SSE frame. */
export interface Frame {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Reads an event stream over plain `fetch`, parsed by eventsource-parser. */
export class StreamReader {
  readonly frames: Frame[] = [];
  retry: number | undefined;
  ended = false;
  error: unknown;
  private readonly abort = new AbortController();
  private done!: Promise<void>;

  private constructor(readonly response: Response) {}

  /** Opens `/events?topic=…` (or `opts.path`) on `base`. */
  static async open(
    base: string,
    topics: string[],
    opts: {
      lastEventId?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      path?: string;
    } = {},
  ): Promise<StreamReader> {
    const u = new URL(opts.path ?? '/events', base);
    for (const t of topics) u.searchParams.append('topic', t);
    for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
    const abort = new AbortController();
    const res = await fetch(u, {
      headers: {
        ...(opts.lastEventId !== undefined && { 'last-event-id': opts.lastEventId }),
        ...opts.headers,
      },
      signal: abort.signal,
    });
    const r = new StreamReader(res);
    (r as unknown as { abort: AbortController }).abort = abort;
    r.done = r.pump();
    return r;
  }

  private async pump(): Promise<void> {
    if (!this.response.body) return;
    const parser = createParser({
      onEvent: (e) => this.frames.push({ id: e.id, event: e.event, data: e.data }),
      onRetry: (ms) => {
        this.retry = ms;
      },
    });
    const dec = new TextDecoder();
    try {
      for await (const chunk of this.response.body) parser.feed(dec.decode(chunk, { stream: true }));
    } catch (e) {
      this.error = e;
    }
    this.ended = true;
  }

  /** Frames that carry an event id (stored events), parsed. */
  get events(): TidingsEvent[] {
    return this.frames.filter((f) => f.id !== undefined).map((f) => JSON.parse(f.data) as TidingsEvent);
  }

  /** Frames of one `event:` type. */
  of(type: string): Frame[] {
    return this.frames.filter((f) => f.event === type);
  }

  async waitForEvents(n: number, ms = 5000): Promise<TidingsEvent[]> {
    await until(
      () => this.events.length >= n,
      ms,
      () =>
        `expected ${n} events, got ${this.events.length}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`,
    );
    return this.events;
  }

  async waitFor(cond: (r: StreamReader) => boolean, ms = 5000): Promise<void> {
    await until(() => cond(this), ms);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => {});
  }
}

/** Polls `cond` until it holds, or fails after `ms` with `why()`. */
export async function until(cond: () => boolean, ms = 5000, why?: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out: ${why?.() ?? 'condition not met'}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** POSTs JSON to `/publish`; returns status and parsed body. */
export async function post(
  base: string,
  body: unknown,
  opts: { raw?: string; headers?: Record<string, string>; path?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(new URL(opts.path ?? '/publish', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
