import { connect, type Socket } from 'node:net';
import { createParser } from 'eventsource-parser';
import type WebSocket from 'ws';
import { type Frame, until } from '../helpers.js';

/**
 * How a test reader takes bytes off its socket: `'stalled'` never reads (the kernel's buffers
 * fill, then the hub's queue), a number reads at about that many bytes per second (one chunk,
 * then a pause as long as the chunk is worth), `'full'` reads as fast as it can.
 */
export type ReadRate = 'stalled' | 'full' | number;

/** Pauses `socket` after each chunk for as long as the chunk is worth at `rate()` bytes per second. */
function throttle(socket: Socket, rate: () => ReadRate): void {
  socket.on('data', (chunk: Buffer) => {
    const r = rate();
    if (r === 'full') return;
    socket.pause();
    if (r === 'stalled') return;
    setTimeout(
      () => {
        if (rate() !== 'stalled') socket.resume();
      },
      Math.max(1, Math.round((chunk.length * 1000) / r)),
    );
  });
}

/**
 * An event stream read over a raw socket at a chosen rate: SSE (`/events`) or Mercure. The
 * request is written by hand, the response head split off and the body parsed with
 * eventsource-parser, so the test decides exactly when bytes leave the kernel.
 */
export class RawStream {
  readonly frames: Frame[] = [];
  status = 0;
  /** Set when the hub ended or dropped the connection. */
  ended = false;
  private head = '';
  private inBody = false;
  private readonly decoder = new TextDecoder();
  private readonly parser = createParser({
    onEvent: (e) => this.frames.push({ id: e.id, event: e.event, data: e.data }),
  });

  private constructor(
    private readonly socket: Socket,
    private rate: ReadRate,
  ) {
    throttle(socket, () => this.rate);
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
    });
    if (rate === 'stalled') socket.pause();
  }

  /** Opens `GET path` (with its query) on `base`, sending `headers`, reading at `rate`. */
  static async open(
    base: string,
    path: string,
    opts: { headers?: Record<string, string>; rate?: ReadRate } = {},
  ): Promise<RawStream> {
    const u = new URL(base);
    const socket = connect(Number(u.port), u.hostname);
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${u.host}`, 'Accept: text/event-stream'];
    for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const s = new RawStream(socket, opts.rate ?? 'full');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return s;
  }

  /** Opens `/events` on `topics`, resuming after `lastEventId` when given. */
  static events(
    base: string,
    topics: string[],
    opts: { lastEventId?: string; rate?: ReadRate; headers?: Record<string, string> } = {},
  ): Promise<RawStream> {
    const q = new URLSearchParams();
    for (const t of topics) q.append('topic', t);
    return RawStream.open(base, `/events?${q}`, {
      rate: opts.rate,
      headers: {
        ...(opts.lastEventId !== undefined && { 'Last-Event-ID': opts.lastEventId }),
        ...opts.headers,
      },
    });
  }

  private feed(chunk: Buffer): void {
    if (this.inBody) {
      this.parser.feed(this.decoder.decode(chunk, { stream: true }));
      return;
    }
    this.head += chunk.toString('latin1');
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) return;
    this.status = Number(this.head.slice(9, 12));
    const rest = Buffer.from(this.head.slice(end + 4), 'latin1');
    this.head = this.head.slice(0, end);
    this.inBody = true;
    if (rest.length > 0) this.parser.feed(this.decoder.decode(rest, { stream: true }));
  }

  /** Changes the read rate (`'stalled'` stops reading; anything else reads again). */
  read(rate: ReadRate): void {
    this.rate = rate;
    if (rate === 'stalled') this.socket.pause();
    else this.socket.resume();
  }

  /** Ids of the frames that carry one (stored events), in arrival order. */
  ids(): string[] {
    const out: string[] = [];
    for (const f of this.frames) if (f.id !== undefined && f.id !== '') out.push(f.id);
    return out;
  }

  /** The `data` of the `connected` frame, parsed (the hub's own `/events` only). */
  connected(): { connectionId: string; lastEventId: string } | undefined {
    const f = this.frames.find((x) => x.event === 'connected');
    return f ? (JSON.parse(f.data) as { connectionId: string; lastEventId: string }) : undefined;
  }

  /** Waits until `n` events arrived (failing with the count and whether the stream ended). */
  async waitForIds(n: number, ms = 10_000): Promise<string[]> {
    await until(
      () => this.ids().length >= n,
      ms,
      () => `expected ${n} events, got ${this.ids().length}; ended ${this.ended}; status ${this.status}`,
    );
    return this.ids();
  }

  /** Waits until the hub ends the stream. */
  async waitEnded(ms = 10_000): Promise<void> {
    await until(
      () => this.ended,
      ms,
      () => `the stream is still open after ${this.ids().length} events`,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Makes a `ws` client read its socket at `rate()` (see {@link ReadRate}). */
export function throttleWebSocket(ws: WebSocket, rate: () => ReadRate): void {
  const attach = () => {
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    if (socket) throttle(socket, rate);
  };
  if (ws.readyState === ws.OPEN) attach();
  else ws.once('open', attach);
}

/** The underlying socket of a `ws` client (to stall it outright). */
export function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}
