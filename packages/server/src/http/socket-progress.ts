import type { Socket } from 'node:net';

/** The libuv handle of a TCP socket, as node:net keeps it. */
interface StreamHandle {
  /** Bytes handed to the handle (node:net's `_bytesDispatched`). */
  readonly bytesWritten?: number;
  /** Bytes handed to the handle that the kernel has not taken yet. */
  readonly writeQueueSize?: number;
}

/**
 * How many bytes the kernel has taken from `socket` so far, or `undefined` when it cannot tell
 * (no handle: closed, or not a TCP socket).
 *
 * Node's own `writableLength` counts a write until all of it went out, and node hands everything
 * queued behind a pending write to the kernel as one write: on a slow reader that is the whole
 * queue, so `writableLength` stays flat for seconds while the reader drains it. libuv's counters
 * move as the kernel takes bytes (node:net's socket timeout reads `writeQueueSize` for the same
 * reason), which is what a judgement of a reader's progress needs.
 */
export function socketSentBytes(socket: Socket | null | undefined): number | undefined {
  const handle = (socket as { _handle?: StreamHandle | null } | null | undefined)?._handle;
  if (typeof handle?.bytesWritten !== 'number' || typeof handle.writeQueueSize !== 'number') return undefined;
  return handle.bytesWritten - handle.writeQueueSize;
}
