/**
 * Where an event stream's bytes go: a node:http response or a Web `ReadableStream`. The hub
 * writes pre-encoded frames and watches `bufferedBytes` to spot subscribers that stopped reading.
 */
export interface StreamSink {
  /** Queues bytes for the peer. Ignored once the sink is closed. */
  write(chunk: Uint8Array): void;
  /** Bytes queued and not yet handed to the kernel (or to the stream's reader). */
  readonly bufferedBytes: number;
  /**
   * A counter of the bytes the peer (or its kernel) has taken so far, which grows as it reads:
   * the slow-consumer rule judges progress by it. Only its changes mean anything.
   */
  readonly sentBytes: number;
  /** True once the peer went away or the hub closed the stream. */
  readonly closed: boolean;
  /** Resolves when the queue drained below the sink's high-water mark, or the sink closed. */
  waitDrain(): Promise<void>;
  /** Ends the stream cleanly after queued bytes are sent (the client then reconnects). */
  end(): void;
  /** Drops the stream at once, discarding queued bytes. */
  destroy(): void;
  /**
   * Registers the single close listener (peer gone, ended or destroyed). A listener object, not a
   * callback: a closure per open stream is memory an idle stream should not cost.
   */
  onClose(listener: SinkCloseListener): void;
}

/** Told once when a {@link StreamSink} closes. */
export interface SinkCloseListener {
  onSinkClosed(): void;
}
