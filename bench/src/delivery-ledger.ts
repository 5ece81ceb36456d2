/** Totals of one ledger (or several, added up). */
export interface LedgerSummary {
  /** Events received in order, once. */
  delivered: number;
  /** Events a subscriber received more than once. */
  duplicates: number;
  /** Events that arrived after a later one (received, but out of order). */
  reordered: number;
  /** Events a subscriber should have received and did not (both kinds below). */
  lost: number;
  /**
   * The part of `lost` at the end of the streams: events after the last one received. While a
   * stream is still open this may be a backlog the server has not sent yet; a gap (an event
   * skipped while later ones arrived) never is.
   */
  tail: number;
}

/**
 * Loss, duplicate and order accounting for many subscribers, each reading one sequence numbered
 * from 1 (the publisher numbers events per topic). Flat typed arrays: the common case (the next
 * expected number arrives) touches one slot; only gaps allocate.
 */
export class DeliveryLedger {
  /** The next sequence number each subscriber expects. */
  readonly next: Float64Array;
  /** Missing ranges `[from, to]` per subscriber, only while a gap is open. */
  private readonly gaps = new Map<number, Array<[number, number]>>();
  delivered = 0;
  duplicates = 0;
  reordered = 0;

  constructor(readonly size: number) {
    this.next = new Float64Array(size).fill(1);
  }

  /** Records that subscriber `sub` received event number `seq`. */
  record(sub: number, seq: number): void {
    const next = this.next[sub]!;
    if (seq === next) {
      this.next[sub] = next + 1;
      this.delivered++;
      return;
    }
    if (seq > next) {
      const g = this.gaps.get(sub);
      if (g) g.push([next, seq - 1]);
      else this.gaps.set(sub, [[next, seq - 1]]);
      this.next[sub] = seq + 1;
      this.delivered++;
      return;
    }
    // An older number: either a late arrival filling a gap, or a duplicate.
    const g = this.gaps.get(sub);
    if (g) {
      for (let i = 0; i < g.length; i++) {
        const r = g[i]!;
        if (seq < r[0] || seq > r[1]) continue;
        if (r[0] === r[1]) g.splice(i, 1);
        else if (seq === r[0]) r[0]++;
        else if (seq === r[1]) r[1]--;
        else g.splice(i, 1, [r[0], seq - 1], [seq + 1, r[1]]);
        if (g.length === 0) this.gaps.delete(sub);
        this.reordered++;
        this.delivered++;
        return;
      }
    }
    this.duplicates++;
  }

  /** Highest number subscriber `sub` has seen (0 before the first). */
  highest(sub: number): number {
    return this.next[sub]! - 1;
  }

  /** The smallest {@link highest} over subscribers `[from, to)`: how far every one of them has got. */
  lowestHighest(from = 0, to = this.size): number {
    let min = Number.POSITIVE_INFINITY;
    for (let i = from; i < to; i++) if (this.next[i]! < min) min = this.next[i]!;
    return min === Number.POSITIVE_INFINITY ? 0 : min - 1;
  }

  /**
   * Totals, counting as lost every open gap and every event up to `expected(sub)` (the number of
   * events published to that subscriber's topic) not received.
   */
  summary(expected: (sub: number) => number): LedgerSummary {
    let lost = 0;
    let tail = 0;
    for (let sub = 0; sub < this.size; sub++) {
      const want = expected(sub);
      const seen = this.next[sub]! - 1;
      if (want > seen) tail += want - seen;
      for (const [a, b] of this.gaps.get(sub) ?? []) lost += b - a + 1;
    }
    lost += tail;
    return { delivered: this.delivered, duplicates: this.duplicates, reordered: this.reordered, lost, tail };
  }
}

/** Adds summaries up. */
export function addSummaries(items: LedgerSummary[]): LedgerSummary {
  const t: LedgerSummary = { delivered: 0, duplicates: 0, reordered: 0, lost: 0, tail: 0 };
  for (const s of items) {
    t.delivered += s.delivered;
    t.duplicates += s.duplicates;
    t.reordered += s.reordered;
    t.lost += s.lost;
    t.tail += s.tail;
  }
  return t;
}
