import type { ServerResponse } from 'node:http';
import type { StreamSink } from './stream-sink.js';

/** A {@link StreamSink} over a node:http response whose headers were already written. */
export class NodeSink implements StreamSink {
  closed = false;
  /** Set by end(): the response may not be written again, though 'close' has not fired yet. */
  private ended = false;
  private closeCb: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly res: ServerResponse) {
    res.on('close', () => this.finish());
    res.on('drain', () => this.flushWaiters());
  }

  write(chunk: Uint8Array): void {
    if (this.closed || this.ended) return;
    this.res.write(chunk);
  }

  get bufferedBytes(): number {
    return this.res.writableLength;
  }

  waitDrain(): Promise<void> {
    if (this.closed || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.res.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.res.destroy();
    this.finish();
  }

  onClose(cb: () => void): void {
    this.closeCb = cb;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushWaiters();
    const cb = this.closeCb;
    this.closeCb = undefined;
    cb?.();
  }

  private flushWaiters(): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const r of w) r();
  }
}
