import { HubError } from '../core/errors.js';
import {
  defaultMemoryBudget,
  fullCollection,
  heapLimit,
  type MemorySample,
  MIN_MEMORY_BUDGET,
  MiB,
  processSample,
} from './process-memory.js';

export { defaultMemoryBudget, fullCollection, type MemorySample, MIN_MEMORY_BUDGET };

/**
 * What a budget decision is about. `stream` covers SSE, Mercure and WebSocket opens, `replay` a
 * resume from history, `body` a request body (publishes, commands).
 */
export type MemoryWork = 'stream' | 'replay' | 'body';

/** Bytes the hub holds and reports itself, by kind. */
export type HeldKind = 'bodies' | 'replay' | 'outbound';

/** The budget and what the hub uses of it, for metrics and `/admin/stats`. */
export interface MemorySnapshot {
  /** The budget (`maxMemoryBytes`). */
  readonly budgetBytes: number;
  /** The estimate admission decisions compare with the budget (see {@link MemoryAccountant}). */
  readonly usedBytes: number;
  /** Resident set size at the last sample. */
  readonly rssBytes: number;
  /** V8 heap in use at the last sample. */
  readonly heapUsedBytes: number;
  /**
   * Bytes the hub knows it holds, by kind: request bodies being read and parsed (as reserved),
   * replay pages in flight, and bytes queued for subscribers. The outbound figure is an upper
   * bound: an event's frame is one buffer shared by every subscriber that queues it.
   */
  readonly held: Readonly<Record<HeldKind, number>>;
  /** True while new work is refused. */
  readonly shedding: boolean;
  /** Requests refused for the budget since the hub started, by kind of work. */
  readonly shed: Readonly<Record<MemoryWork, number>>;
}

/** Options of a {@link MemoryAccountant}. */
export interface MemoryAccountantOptions {
  /** The budget in bytes; see `HubOptions.maxMemoryBytes`. */
  readonly budgetBytes: number;
  /** Shortest time between two samples, in ms. @defaultValue 100 */
  readonly sampleMs?: number | undefined;
  /** Interval of the background sample that keeps the figures fresh when idle, in ms. @defaultValue 1000 */
  readonly refreshMs?: number | undefined;
  /** Seconds clients are told to wait (`Retry-After`). @defaultValue 2 */
  readonly retryAfterS?: number | undefined;
  /** Reads the process's memory. @defaultValue `process.memoryUsage()` and V8's heap limit */
  readonly sample?: (() => MemorySample) | undefined;
  /** Monotonic clock in ms. @defaultValue `performance.now` */
  readonly now?: (() => number) | undefined;
  /**
   * Runs a full garbage collection, tried (at most every `collectEveryMs`) when a sample finds
   * the hub over budget, before it refuses work: garbage an attack left behind must not keep the
   * hub refusing work after the attack ended. `false` never collects.
   * @defaultValue V8's own `gc` (see `fullCollection`)
   */
  readonly collectGarbage?: (() => void) | false | undefined;
  /** Shortest time between two collections asked for by the accountant, in ms. @defaultValue 5000 */
  readonly collectEveryMs?: number | undefined;
  /** Told when the hub starts or stops refusing work (for a log line per transition). */
  readonly onShedding?: ((shedding: boolean, snapshot: MemorySnapshot) => void) | undefined;
}

/** Share of V8's heap limit past which work is refused whatever the budget: the heap must never fill. */
const HEAP_GUARD = 0.85;

/** Formats bytes for messages: `130 MiB`. */
function mib(n: number): string {
  return `${Math.round(n / MiB)} MiB`;
}

/**
 * The hub's memory accountant: decides whether new work may start within `maxMemoryBytes`.
 *
 * The estimate it compares with the budget is the live memory of the last sample (the V8 heap in
 * use; the memory outside the heap V8 tracks, `external`: buffers such as queued frames and
 * request bodies; and the process's own overhead, code, libraries and stacks, measured once at
 * the start as its resident set outside both) plus every reservation in force.
 *
 * Not the resident set itself: freed memory often stays resident (V8 returns heap pages lazily,
 * the C allocator keeps freed buffers for reuse), so an estimate from it kept a hub refusing work
 * long after an attack ended. The live figure comes back as soon as memory is free, and still
 * bounds the resident set, since new allocations reuse what stayed resident.
 *
 * Reservations (a request body at its declared size, from admission to answer; a replay page,
 * from read to written) count at once and in full, even the part a later sample already sees: the
 * estimate errs high, by at most the bytes in flight. The sample, taken at most every `sampleMs`
 * when work is asked for and every `refreshMs` in the background, catches everything else
 * (connections, queued frames, caches, garbage not yet collected). A sample over the budget first
 * asks V8 for a full collection (at most every `collectEveryMs`) and looks again, so garbage an
 * attack left behind does not keep the hub refusing work once it ended. Work is also refused once
 * the V8 heap is 85 % full, whatever the budget, since a full heap ends the process.
 *
 * Refusals are `503 unavailable` with `Retry-After`; work already admitted (open streams,
 * replays under way, publishes being stored) goes on, so nothing acknowledged is ever dropped.
 *
 * @see HubOptions.maxMemoryBytes, and "Memory budget" in docs/security.md
 */
export class MemoryAccountant {
  readonly budgetBytes: number;
  private readonly sampleMs: number;
  private readonly retryAfterS: number;
  private readonly read: () => MemorySample;
  private readonly now: () => number;
  private readonly onShedding: MemoryAccountantOptions['onShedding'];
  private readonly collect: (() => void) | undefined;
  private readonly collectEveryMs: number;
  private lastCollectAt = Number.NEGATIVE_INFINITY;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly sources: Array<() => number> = [];
  private readonly reserved: Record<'bodies' | 'replay', number> = { bodies: 0, replay: 0 };
  private readonly shedCounts: Record<MemoryWork, number> = { stream: 0, replay: 0, body: 0 };
  private last: MemorySample = {
    rss: 0,
    heapTotal: 0,
    heapUsed: 0,
    external: 0,
    heapLimit: Number.POSITIVE_INFINITY,
  };
  /**
   * The process's memory outside what V8 tracks (code, libraries, stacks, the allocator's own),
   * measured at the first sample and then taken as constant.
   */
  private overhead = -1;
  private lastAt = Number.NEGATIVE_INFINITY;
  private outbound = 0;
  private shedding = false;

  constructor(o: MemoryAccountantOptions) {
    if (!Number.isSafeInteger(o.budgetBytes) || o.budgetBytes < MIN_MEMORY_BUDGET) {
      throw new RangeError(
        `Hub option maxMemoryBytes must be a whole number of bytes of at least ${MIN_MEMORY_BUDGET} (32 MiB), not ${o.budgetBytes}; an idle hub alone uses about that much.`,
      );
    }
    this.budgetBytes = o.budgetBytes;
    this.sampleMs = o.sampleMs ?? 100;
    this.retryAfterS = o.retryAfterS ?? 2;
    this.read = o.sample ?? processSample(heapLimit());
    this.now = o.now ?? (() => performance.now());
    this.onShedding = o.onShedding;
    this.collect = o.collectGarbage === false ? undefined : (o.collectGarbage ?? fullCollection);
    this.collectEveryMs = o.collectEveryMs ?? 5000;
    this.timer = setInterval(() => this.sample(), o.refreshMs ?? 1000);
    this.timer.unref();
    this.sample();
  }

  /**
   * Adds a figure the accountant reads at each sample, for bytes the hub holds that change too
   * often to report one by one (the outbound queues of every connection).
   */
  addOutboundSource(bytes: () => number): void {
    this.sources.push(bytes);
  }

  /**
   * Counts `bytes` of `kind` as held until the returned function is called (once; later calls do
   * nothing). Use it for memory that arrives faster than the sample interval: a request body
   * from admission to answer, a replay page from read to written.
   */
  reserve(kind: 'bodies' | 'replay', bytes: number): () => void {
    if (!(bytes > 0)) return noop;
    this.reserved[kind] += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.reserved[kind] -= bytes;
    };
  }

  /**
   * Adds `delta` bytes (negative to give them back) to what is held of `kind`, for holders that
   * share bytes and count them themselves (replay pages share events). Every addition must be
   * given back once.
   */
  adjust(kind: 'bodies' | 'replay', delta: number): void {
    this.reserved[kind] = Math.max(0, this.reserved[kind] + delta);
  }

  /**
   * Admits work expected to cost `cost` bytes, or throws `503 unavailable` with `Retry-After`
   * when the estimate plus `cost` would pass the budget (or the V8 heap is nearly full).
   */
  admit(work: MemoryWork, cost: number): void {
    if (this.now() - this.lastAt >= this.sampleMs) this.sample();
    if (!this.over(cost)) return;
    this.shedCounts[work]++;
    throw new HubError(
      503,
      'unavailable',
      `The hub is at its memory budget of ${mib(this.budgetBytes)} (maxMemoryBytes) and takes no new work for now; retry after ${this.retryAfterS} s. Connections already open keep being served.`,
      { option: 'maxMemoryBytes', limit: this.budgetBytes, retryAfterS: this.retryAfterS },
      { 'retry-after': String(this.retryAfterS) },
    );
  }

  /** The current estimate, in bytes (see the class description). */
  usedBytes(): number {
    const m = this.last;
    return m.heapUsed + m.external + Math.max(0, this.overhead) + this.reserved.bodies + this.reserved.replay;
  }

  /** Takes a sample now (admission does it when the last one is older than `sampleMs`). */
  sample(): void {
    this.last = this.read();
    this.lastAt = this.now();
    if (this.overhead < 0)
      this.overhead = Math.max(0, this.last.rss - this.last.heapTotal - this.last.external);
    if (this.collect && this.over(0) && this.lastAt - this.lastCollectAt >= this.collectEveryMs) {
      // Over budget: see whether it is garbage before refusing anyone.
      this.lastCollectAt = this.lastAt;
      this.collect();
      this.last = this.read();
    }
    let outbound = 0;
    for (const s of this.sources) outbound += s();
    this.outbound = outbound;
    const shedding = this.over(0);
    if (shedding !== this.shedding) {
      this.shedding = shedding;
      this.onShedding?.(shedding, this.figures());
    }
  }

  /** The current figures (from a new sample when the last one is older than `sampleMs`). */
  snapshot(): MemorySnapshot {
    if (this.now() - this.lastAt >= this.sampleMs) this.sample();
    return this.figures();
  }

  private figures(): MemorySnapshot {
    return {
      budgetBytes: this.budgetBytes,
      usedBytes: this.usedBytes(),
      rssBytes: this.last.rss,
      heapUsedBytes: this.last.heapUsed,
      held: { bodies: this.reserved.bodies, replay: this.reserved.replay, outbound: this.outbound },
      shedding: this.shedding,
      shed: { ...this.shedCounts },
    };
  }

  /** Stops the background sample. */
  close(): void {
    clearInterval(this.timer);
  }

  private over(cost: number): boolean {
    const reserved = this.reserved.bodies + this.reserved.replay;
    if (this.last.heapUsed + reserved + cost > this.last.heapLimit * HEAP_GUARD) return true;
    return this.usedBytes() + cost > this.budgetBytes;
  }
}

function noop(): void {}
