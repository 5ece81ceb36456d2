import { WS_SUBPROTOCOL, type WsHubMessage } from '@tidings/protocol';
import WebSocket from 'ws';
import { until } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary hub messages
export type AnyMessage = { op: WsHubMessage['op'] } & Record<string, any>;

/** A WebSocket client over a real socket that keeps every message for assertions. */
export class WsPeer {
  readonly messages: AnyMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  opened = false;
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('open', () => {
      this.opened = true;
    });
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as AnyMessage));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
    ws.on('error', () => {});
  }

  /** Connects to `/ws` on `base` (http URL) with `topics` and extra query parameters. */
  static connect(
    base: string,
    topics: string[] = [],
    opts: {
      query?: Record<string, string>;
      headers?: Record<string, string>;
      protocols?: string[];
      autoPong?: boolean;
      path?: string;
    } = {},
  ): WsPeer {
    const u = new URL(opts.path ?? '/ws', base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const t of topics) u.searchParams.append('topic', t);
    for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
    return new WsPeer(
      new WebSocket(u, opts.protocols ?? [WS_SUBPROTOCOL], {
        headers: opts.headers,
        autoPong: opts.autoPong ?? true,
      }),
    );
  }

  /** Connects and waits for the hub's `connected` message. */
  static async open(...args: Parameters<typeof WsPeer.connect>): Promise<WsPeer> {
    const p = WsPeer.connect(...args);
    await p.waitFor((m) => m.op === 'connected');
    return p;
  }

  get connected(): AnyMessage | undefined {
    return this.messages.find((m) => m.op === 'connected');
  }

  /** The `event` messages received so far. */
  get events(): AnyMessage[] {
    return this.messages.filter((m) => m.op === 'event');
  }

  ids(): string[] {
    return this.events.map((e) => e.id as string);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async waitFor(pred: (m: AnyMessage) => boolean, ms = 5000): Promise<AnyMessage> {
    let found: AnyMessage | undefined;
    await until(
      () => {
        found = this.messages.find(pred);
        return found !== undefined;
      },
      ms,
      () =>
        `no matching message; got ${JSON.stringify(this.messages).slice(0, 800)}; closed ${JSON.stringify(this.closed)}`,
    );
    return found as AnyMessage;
  }

  async waitForEvents(n: number, ms = 5000): Promise<AnyMessage[]> {
    await until(
      () => this.events.length >= n,
      ms,
      () => `expected ${n} events, got ${this.events.length}; closed ${JSON.stringify(this.closed)}`,
    );
    return this.events;
  }

  /** Sends a message with a fresh id and waits for its `ack`, `nack` or `pong`. */
  async request(message: Record<string, unknown>, ms = 5000): Promise<AnyMessage> {
    const id = `r${++this.seq}`;
    this.send({ ...message, id });
    return this.waitFor((m) => (m.op === 'ack' || m.op === 'nack' || m.op === 'pong') && m.id === id, ms);
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    await until(
      () => this.closed !== undefined,
      ms,
      () => 'the socket is still open',
    );
    return this.closed as { code: number; reason: string };
  }

  close(): void {
    this.ws.terminate();
  }
}
