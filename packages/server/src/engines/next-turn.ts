/**
 * Resolves on the next turn of the event loop, after pending I/O callbacks. Long store reads and
 * sweeps await it between chunks, so one request never holds the loop for more than one chunk.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
