import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import type { Engine } from '../engine.js';
import { GeneratedIds } from '../generated-ids.js';
import type { AppendResult, HistoryStore, ReadResult, ResumePoint, TopicFilter } from '../history-store.js';
import type { PresenceCount, PresenceEntry, PresenceStore } from '../presence-store.js';
import { ReadCache } from '../read-cache.js';
import {
  fromIpcError,
  type IpcHello,
  type IpcPort,
  type IpcReply,
  type IpcRequest,
  isTidingsMessage,
} from './ipc-messages.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type RequestBody = IpcRequest extends infer R
  ? R extends IpcRequest
    ? Omit<R, 'tidings' | 'rid'>
    : never
  : never;

/** Options of {@link ipcEngine}. */
export interface IpcEngineOptions {
  /**
   * Most requests this worker may have waiting for the primary. Past it, requests (a publish's
   * append, a resume's read) fail at once with 503 instead of queueing without bound while the
   * primary is saturated.
   * @defaultValue 10000
   */
  maxInFlight?: number | undefined;
}

/** {@link IpcEngineOptions.maxInFlight} unless given. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;

/** Requests to the primary, matched to answers by id; everything fails once the channel closes. */
class IpcClient {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  eventListeners: BrokerListener[] = [];
  controlListeners: ControlListener[] = [];
  /** Called when events arrive, before they are dispatched (history changed). */
  onEvents: (() => void) | undefined;
  private readonly onMessage = (m: unknown) => this.receive(m);

  constructor(
    private readonly port: IpcPort,
    private readonly maxInFlight: number,
  ) {
    port.on('message', this.onMessage);
  }

  /**
   * Sends a request. `bounded: false` is for callers that never have more than one request
   * waiting (the presence tracker's calls are chained), which must not be refused: presence
   * over IPC is never refreshed, so a refused announce would be lost.
   */
  call<T>(body: RequestBody, bounded = true): Promise<T> {
    if (this.closed) return Promise.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
    if (bounded && this.pending.size >= this.maxInFlight) {
      return Promise.reject(
        new HubError(
          503,
          'unavailable',
          `This worker already has ${this.maxInFlight} requests waiting for the hub's primary process, which is overloaded; retry in a moment.`,
          { limit: this.maxInFlight },
          { 'retry-after': '1' },
        ),
      );
    }
    const rid = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.port.send({ tidings: 'req', rid, ...body });
      } catch {
        this.pending.delete(rid);
        reject(
          new HubError(
            503,
            'unavailable',
            "The hub's primary process is gone, so history cannot be reached; retry on another node or restart the hub.",
          ),
        );
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.off('message', this.onMessage);
    for (const p of this.pending.values())
      p.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
    this.pending.clear();
    this.eventListeners = [];
    this.controlListeners = [];
  }

  private receive(m: unknown): void {
    if (!isTidingsMessage(m)) return;
    if (m.tidings === 'events') {
      const events = (m as unknown as { events: StoredEvent[] }).events;
      this.onEvents?.();
      for (const l of this.eventListeners) l(events);
    } else if (m.tidings === 'control') {
      const message = (m as unknown as { message: ControlMessage }).message;
      for (const l of this.controlListeners) l(message);
    } else if (m.tidings === 'ok' || m.tidings === 'err') {
      const r = m as IpcReply;
      const p = this.pending.get(r.rid);
      if (!p) return;
      this.pending.delete(r.rid);
      if (r.tidings === 'ok') p.resolve(r.value);
      else p.reject(fromIpcError(r.error));
    }
  }
}

/**
 * The primary's history seen from a worker. Remembers nothing: identical reads in flight at the
 * same time share one request (a storm of resumes from one id after a deploy costs one round trip
 * and one copy of the page, not one per client), and events arriving from the primary detach
 * those shared reads, so a stream registered after an event arrived never joins a read that may
 * predate it.
 */
class IpcStore implements HistoryStore {
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

class IpcBroker implements Broker {
  readonly kind = 'ipc';

  constructor(private readonly client: IpcClient) {}

  async publish(_events: readonly StoredEvent[]): Promise<void> {
    // The primary fans out every event it appended, to every worker including this one, so
    // publishing here again would deliver twice.
  }

  subscribe(listener: BrokerListener): () => void {
    this.client.eventListeners = [...this.client.eventListeners, listener];
    return () => {
      this.client.eventListeners = this.client.eventListeners.filter((l) => l !== listener);
    };
  }

  sendControl(message: ControlMessage): Promise<void> {
    return this.client.call({ op: 'control', message });
  }

  onControl(listener: ControlListener): () => void {
    this.client.controlListeners = [...this.client.controlListeners, listener];
    return () => {
      this.client.controlListeners = this.client.controlListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {}
}

/** Presence kept by the primary ({@link IpcEngineHost.presence}) for every worker. */
class IpcPresence implements PresenceStore {
  readonly kind = 'ipc';

  constructor(private readonly client: IpcClient) {}

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length > 0) await this.client.call({ op: 'presence', kind: 'announce', entries }, false);
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length > 0) await this.client.call({ op: 'presence', kind: 'withdraw', entries }, false);
  }

  query(topic: string): Promise<PresenceCount> {
    return this.client.call({ op: 'presenceQuery', topic });
  }
}

/**
 * The engine of a worker process whose history lives in its primary ({@link IpcEngineHost}):
 * appends, reads and resumes are requests to the primary, and live events arrive from it in
 * position order, already durable. Revocations, when given, are this worker's own view of a
 * store shared some other way (for example the same SQLite file). Presence is the primary's, so
 * `GET /presence` on any worker counts the connections of all of them.
 *
 * Resolves once the primary answered, so a worker does not listen before its history is reachable.
 * @see IpcEngineHost
 */
export async function ipcEngine(
  port: IpcPort | NodeJS.Process,
  revocations?: Engine['revocations'],
  options: IpcEngineOptions = {},
): Promise<Engine> {
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be a positive integer, not ${maxInFlight}.`);
  }
  if (typeof port.send !== 'function') {
    throw new Error(
      'ipcEngine needs an IPC channel to its primary: run it in a process forked by node:cluster or child_process.fork.',
    );
  }
  const client = new IpcClient(port as IpcPort, maxInFlight);
  const hello = await client.call<IpcHello>({ op: 'hello' });
  const store = new IpcStore(client, hello);
  const broker = new IpcBroker(client);
  return {
    store,
    broker,
    revocations,
    presence: new IpcPresence(client),
    async close() {
      client.close();
      await revocations?.close?.();
    },
  };
}
