import { nodeBuiltin } from '../core/node-builtins.js';

/** Smallest budget accepted: below it an idle Node.js process alone is over it. */
export const MIN_MEMORY_BUDGET = 32 * 1024 * 1024;

/** A mebibyte. */
export const MiB = 1024 * 1024;

/** One reading of the process's memory (`process.memoryUsage()` and the V8 heap limit). */
export interface MemorySample {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  /** Memory outside the V8 heap that V8 tracks: buffers (queued frames, bodies), typed arrays. */
  readonly external: number;
  /** V8's `heap_size_limit`: past it the process dies of an out-of-memory error. */
  readonly heapLimit: number;
}

let gc: (() => void) | undefined;

/**
 * A full garbage collection: `globalThis.gc` when node runs with `--expose-gc`, else V8's `gc`
 * exposed on demand (a flag that only makes `gc` available to contexts created afterwards, so
 * nothing else in the process changes). Only called while the hub is over its budget.
 */
export function fullCollection(): void {
  if (gc === undefined) {
    const own = (globalThis as { gc?: () => void }).gc;
    if (typeof own === 'function') gc = own;
    else {
      const v8 = nodeBuiltin('node:v8');
      const vm = nodeBuiltin('node:vm');
      // A runtime without V8's flags: nothing to force, the next sample tells.
      if (!v8 || !vm) return;
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
  }
  gc();
}

/** V8's heap limit, or infinity where the runtime does not tell. */
export function heapLimit(): number {
  return nodeBuiltin('node:v8')?.getHeapStatistics().heap_size_limit ?? Number.POSITIVE_INFINITY;
}

/** Reads the process's memory, with V8's heap limit as measured once. */
export function processSample(heapLimit: number): () => MemorySample {
  return () => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, heapLimit };
  };
}

/**
 * The default budget: three quarters of V8's heap limit, or half the memory available to the
 * process (its cgroup limit when it has one, else the machine's), whichever is smaller, in
 * whole MiB. On a 64-bit machine with 16 GiB or more that is 3 GiB (V8's limit is then 4 GiB);
 * in a container limited to 1 GiB, at most 512 MiB.
 */
export function defaultMemoryBudget(): number {
  const heap = heapLimit();
  const total = nodeBuiltin('node:os')?.totalmem() ?? Number.POSITIVE_INFINITY;
  // A runtime that tells neither: the floor, which an idle hub fits in.
  if (heap === Number.POSITIVE_INFINITY && total === Number.POSITIVE_INFINITY) return MIN_MEMORY_BUDGET;
  // Node reports an unconstrained process as 2^64 (or 0, or not at all on older versions).
  const constrained = process.constrainedMemory?.() ?? 0;
  const available = constrained > 0 && constrained < total ? constrained : total;
  const budget = Math.min(heap * 0.75, available * 0.5);
  return Math.max(MIN_MEMORY_BUDGET, Math.floor(budget / MiB) * MiB);
}
