/** Sub-buckets per power of two: values are kept within 1/64 (≈1.6 %) of their true size. */
const SUB = 64;
const SUB_BITS = 6;
/** Powers of two covered: up to 2^40 µs (~12 days), far past any bounded run. */
const POWERS = 41;

/**
 * A log-linear histogram of latencies in microseconds. Fixed size and mergeable, so every load
 * generator process records into its own and the runner adds them up without shipping samples.
 */
export class LatencyHistogram {
  readonly counts: Float64Array;
  count = 0;
  max = 0;
  sum = 0;

  constructor() {
    this.counts = new Float64Array(POWERS * SUB);
  }

  /** The bucket of `us` (negative values, from clock skew between processes, count as 0). */
  static indexOf(us: number): number {
    const v = us < 0 ? 0 : Math.floor(us);
    if (v < SUB) return v;
    const e = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
    const shift = e - SUB_BITS + 1;
    const sub = Math.floor(v / 2 ** shift) - SUB / 2;
    return Math.min(SUB + (shift - 1) * (SUB / 2) + sub, POWERS * SUB - 1);
  }

  /** The upper edge of bucket `i` (what a percentile reports: never an underestimate). */
  static valueAt(i: number): number {
    if (i < SUB) return i;
    const shift = Math.floor((i - SUB) / (SUB / 2)) + 1;
    const sub = ((i - SUB) % (SUB / 2)) + SUB / 2;
    return (sub + 1) * 2 ** shift - 1;
  }

  record(us: number): void {
    this.counts[LatencyHistogram.indexOf(us)]! += 1;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value below which `p` percent of the samples fall (0 when empty); p=100 is the exact max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(LatencyHistogram.valueAt(i), this.max);
    }
    return this.max;
  }

  /** The non-empty buckets as `[index, count]` pairs: a compact form to send between processes. */
  toSparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) out.push([i, this.counts[i]!]);
    return out;
  }

  static fromSparse(pairs: Array<[number, number]>, max: number, sum: number): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, c] of pairs) {
      h.counts[i] = c;
      h.count += c;
    }
    h.max = max;
    h.sum = sum;
    return h;
  }
}
