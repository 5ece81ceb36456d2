import type { SinkCloseListener, StreamSink } from './stream-sink.js';

/** High-water mark of the Web stream's queue, in bytes. */
const HIGH_WATER = 64 * 1024;

/**
 * A {@link StreamSink} feeding a Web `ReadableStream` (the body of the `Response` that
 * `hub.fetch` returns). Build the stream with {@link WebSink.stream}.
 */
export class WebSink implements StreamSink {
  closed = false;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closeListener: SinkCloseListener | undefined;
  private drainWaiters: Array<() => void> = [];
  /** Bytes ever enqueued. */
  private written = 0;
  /** The body stream to hand to `new Response(...)`. */
  readonly stream: ReadableStream<Uint8Array>;

  constructor() {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => this.flushWaiters(),
        cancel: () => this.finish(),
      },
      { highWaterMark: HIGH_WATER, size: (chunk) => chunk.byteLength },
    );
  }

  write(chunk: Uint8Array): void {
    if (this.closed) return;
    this.controller.enqueue(chunk);
    this.written += chunk.byteLength;
  }

  get bufferedBytes(): number {
    const d = this.controller.desiredSize;
    return d === null ? 0 : Math.max(0, HIGH_WATER - d);
  }

  get sentBytes(): number {
    return this.written - this.bufferedBytes;
  }

  waitDrain(): Promise<void> {
    if (this.closed || (this.controller.desiredSize ?? 1) > 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  end(): void {
    if (this.closed) return;
    try {
      this.controller.close();
    } catch {
      // Already closed by the reader.
    }
    this.finish();
  }

  destroy(): void {
    if (this.closed) return;
    try {
      this.controller.error(new Error('The hub closed this stream.'));
    } catch {
      // Already errored.
    }
    this.finish();
  }

  /**
   * The client went away: ends the body quietly. An errored body would be reported by the
   * server (e.g. `@hono/node-server` logs it) though nothing went wrong.
   */
  abandon(): void {
    if (this.closed) return;
    try {
      this.controller.close();
    } catch {
      // Already closed by the reader.
    }
    this.finish();
  }

  onClose(listener: SinkCloseListener): void {
    this.closeListener = listener;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushWaiters();
    const listener = this.closeListener;
    this.closeListener = undefined;
    listener?.onSinkClosed();
  }

  private flushWaiters(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of w) r();
  }
}
