import { HubError } from '../../core/errors.js';
import type { NewEvent } from '../../core/stored-event.js';
import { GeneratedIds } from '../generated-ids.js';
import type { AppendResult, HistoryStore, ReadResult, ResumePoint, TopicFilter } from '../history-store.js';
import { ReadCache } from '../read-cache.js';
import type { IpcClient, RequestBody } from './ipc-client.js';
import type { IpcHello } from './ipc-messages.js';

/**
 * The primary's history seen from a worker. Remembers nothing: identical reads in flight at the
 * same time share one request (a storm of resumes from one id after a deploy costs one round trip
 * and one copy of the page, not one per client), and events arriving from the primary detach
 * those shared reads, so a stream registered after an event arrived never joins a read that may
 * predate it.
 */
export class IpcStore implements HistoryStore {
  readonly kind: string;
  readonly generatedIds: GeneratedIds | undefined;
  private closed = false;
  private readonly shared = new ReadCache(0);

  constructor(
    private readonly client: IpcClient,
    hello: IpcHello,
  ) {
    this.kind = hello.kind;
    this.generatedIds = hello.idKey === undefined ? undefined : new GeneratedIds(hello.idKey);
    client.onEvents = () => this.shared.clear();
  }

  append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    return this.call({ op: 'append', events });
  }

  resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    // The primary looks the id up on these topics; the worker's stream then judges each match.
    return this.call({
      op: 'resolve',
      lastEventId,
      topics: filter.topics,
      patterns: filter.patterns.map((p) => p.source),
    });
  }

  readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    const patterns = filter.patterns.map((p) => p.source);
    const key = `${after}\u0000${limit}\u0000${filter.topics.join('\u0001')}\u0000${patterns.join('\u0001')}`;
    return this.shared.read(key, () =>
      this.call<ReadResult>({ op: 'readAfter', after, topics: filter.topics, patterns, limit }),
    );
  }

  head(): Promise<string> {
    return this.call({ op: 'head' });
  }

  idAt(pos: string): string {
    if (this.generatedIds === undefined) {
      throw new Error(
        `A ${this.kind} store does not generate ids this worker can derive; run it without --workers.`,
      );
    }
    return this.generatedIds.resumeId(pos);
  }

  prune(): Promise<void> {
    return this.call({ op: 'prune' });
  }

  async close(): Promise<void> {
    // The primary owns the store; a worker only stops using it.
    this.closed = true;
  }

  private call<T>(body: RequestBody): Promise<T> {
    if (this.closed) return Promise.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
    return this.client.call(body);
  }
}
