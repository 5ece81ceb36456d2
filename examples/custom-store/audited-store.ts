import { appendFileSync } from 'node:fs';
import type {
  AppendResult,
  HistoryStore,
  NewEvent,
  ReadResult,
  ResumePoint,
  TopicFilter,
} from '@tidings/server';

/**
 * A custom {@link HistoryStore}: every append is also written as one JSON line to an audit file
 * (who published what, when), while another store keeps the history itself. The same shape
 * fits any store: implement the eight members, then prove them with `runStoreSuite`.
 */
export class AuditedStore implements HistoryStore {
  readonly kind: string;

  constructor(
    private readonly inner: HistoryStore,
    private readonly auditFile: string,
  ) {
    this.kind = `audited-${inner.kind}`;
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    const results = await this.inner.append(events);
    // Written after the append succeeded, duplicates left out: the audit lists exactly what
    // subscribers can see.
    const lines = results
      .filter((r) => !r.duplicate)
      .map(({ event: e }) => JSON.stringify({ id: e.id, topic: e.topic, type: e.type, ts: e.ts }));
    if (lines.length > 0) appendFileSync(this.auditFile, `${lines.join('\n')}\n`);
    return results;
  }

  resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    return this.inner.resolve(lastEventId, filter);
  }

  readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    return this.inner.readAfter(after, filter, limit);
  }

  head(): Promise<string> {
    return this.inner.head();
  }

  idAt(pos: string): string {
    return this.inner.idAt(pos);
  }

  prune(): Promise<void> {
    return this.inner.prune();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
