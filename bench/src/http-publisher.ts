import { connect, type Socket } from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const END_CHUNKED = Buffer.from('0\r\n\r\n');

interface Pending {
  ok: () => void;
  fail: (e: Error) => void;
}

/** One keep-alive connection that pipelines requests and matches responses in order. */
class PipelinedConnection {
  readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closedError: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.read(d));
    const fail = (e?: Error) => {
      this.closedError = e ?? new Error('The server closed the publishing connection.');
      for (const p of this.queue.splice(0)) p.fail(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  send(req: Buffer): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((ok, fail) => {
      this.queue.push({ ok, fail });
      this.socket.write(req);
    });
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const at = this.buf.indexOf(CRLFCRLF);
      if (at < 0) return;
      const head = this.buf.toString('latin1', 0, at);
      const status = Number(head.slice(9, 12));
      let end: number;
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (len) end = at + 4 + Number(len[1]);
      else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const z = this.buf.indexOf(END_CHUNKED, at + 4);
        if (z < 0) return;
        end = z + END_CHUNKED.length;
      } else end = at + 4;
      if (end > this.buf.length) return;
      const body = this.buf.toString('utf8', at + 4, end);
      this.buf = this.buf.subarray(end);
      const p = this.queue.shift();
      if (!p) continue;
      if (status >= 200 && status < 300) p.ok();
      else p.fail(new Error(`The server answered a publish with ${status}: ${body.slice(0, 300)}`));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * The benchmark's publisher: raw keep-alive sockets with pipelined requests, spread round-robin,
 * so publishing costs the generator little and the server sees requests back to back.
 */
export class HttpPublisher {
  published = 0;

  private constructor(private readonly conns: PipelinedConnection[]) {}

  static async open(port: number, connections = 2): Promise<HttpPublisher> {
    const conns = await Promise.all(
      Array.from(
        { length: connections },
        () =>
          new Promise<PipelinedConnection>((ok, fail) => {
            const s = connect(port, '127.0.0.1');
            s.once('connect', () => {
              s.off('error', fail);
              ok(new PipelinedConnection(s));
            });
            s.once('error', fail);
          }),
      ),
    );
    return new HttpPublisher(conns);
  }

  /**
   * Sends one prepared request; resolves when the server accepted it (2xx). Requests with the same
   * `key` (a topic number) share a connection, so the server sees them in the order sent.
   */
  send(req: Buffer, key = 0): Promise<void> {
    const c = this.conns[key % this.conns.length]!;
    this.published++;
    return c.send(req);
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.conns) n += c.queue.length;
    return n;
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

const PAD = 'x'.repeat(200);

/** Microseconds on the system's monotonic clock, comparable between processes on one machine. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The benchmark payload: sequence number `s` (per topic, from 1), send time `t` (µs, monotonic) and
 * padding so the JSON is about `size` bytes (the issue's ~100-byte payloads).
 */
export function benchPayload(seq: number, size = 100): string {
  const head = `{"s":${seq},"t":${nowUs()},"p":"`;
  return `${head}${PAD.slice(0, Math.max(0, size - head.length - 2))}"}`;
}
