import type { PubAck } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import { type GeneratedIds, generatedShapeMessage, hasGeneratedShape } from '../generated-ids.js';
import type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  TopicFilter,
} from '../history-store.js';
import { MAX_ID_MATCHES } from '../history-store.js';
import { orphanIds } from '../redis/redis-entries.js';
import { RetentionPolicy } from '../retention.js';
import { eventSubjects, pruneByAge } from './nats-age-sweep.js';
import { decodeEvent, digest, encodeEvent, PREV_HEADER } from './nats-event-codec.js';
import { type NatsHandles, NatsLink, type NatsLinkOptions } from './nats-link.js';
import { type NatsNames, natsNames, topicSubject } from './nats-names.js';
import { NatsReader } from './nats-reader.js';
import { apiErrorCode, NatsStream, WRONG_LAST_SEQUENCE } from './nats-stream.js';
import { NatsSuppliedIds } from './nats-supplied-ids.js';
import { NatsWatermarks } from './nats-watermarks.js';

/** Options of {@link NatsStore}. */
export interface NatsStoreOptions extends NatsLinkOptions {
  /** NATS URL: `nats://host:4222` or `tls://host:4222`, credentials in the URL if any. */
  url: string;
  /**
   * Namespace of the stream, subjects and buckets, so that several hubs (or test runs) can share
   * one NATS. All nodes of one hub use the same prefix.
   * @defaultValue "tidings"
   */
  prefix?: string | undefined;
  /** Per-topic retention. @defaultValue 10,000 events or 24 h per topic */
  retention?: RetentionOptions | undefined;
  /**
   * How long JetStream drops a retried publish of the same supplied id by its `Nats-Msg-Id`,
   * even when the hub that stored it died before it could index the id.
   * @defaultValue 120000 (2 minutes)
   */
  dedupeWindowMs?: number | undefined;
  /** Copies of each event in a clustered JetStream (1 to 5). @defaultValue 1 */
  replicas?: number | undefined;
  /** Clock in epoch ms for age retention, injectable for tests. @defaultValue `Date.now` */
  now?: (() => number) | undefined;
}

/** Topics whose last sequence a store remembers (beyond, it forgets them all and asks again). */
const REMEMBERED_TOPICS = 100_000;

/** Attempts at appending to a topic that other nodes keep appending to at the same moment. */
const APPEND_ATTEMPTS = 50;

/** The parts of a store that its engine shares with the broker. */
export interface NatsStoreParts {
  readonly link: NatsLink;
  readonly stream: NatsStream;
}

/** Checks the numeric options of the NATS engine's parts. */
export function checkNatsNumber(
  name: string,
  v: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
    throw new RangeError(
      `NATS engine option ${name} must be a whole number from ${min} to ${max}, not ${v}.`,
    );
  }
}

/** The link and stream of a store's options. */
export function natsStoreParts(options: NatsStoreOptions, link?: NatsLink): NatsStoreParts {
  checkNatsNumber('dedupeWindowMs', options.dedupeWindowMs, 1000);
  checkNatsNumber('replicas', options.replicas, 1, 5);
  const names = natsNames(options.prefix ?? 'tidings');
  const policy = new RetentionPolicy(options.retention);
  const l = link ?? new NatsLink(options.url, options, 'tidings');
  const stream = new NatsStream(
    names,
    l,
    policy,
    { dedupeWindowMs: options.dedupeWindowMs ?? 120_000, replicas: options.replicas ?? 1 },
    options.retention,
  );
  return { link: l, stream };
}

/**
 * History in NATS JetStream, shared by every hub node: one stream, one subject per topic
 * (`<prefix>.ev.<segment>.<segment>…`), and the stream sequence as the position. The sequence is
 * one counter for the whole stream, so positions are comparable across topics and a resume over
 * several topics or patterns is exact: every event a node delivers, on any topic, is in the same
 * total order on every node.
 *
 * - **Appends** publish each event with `Nats-Expected-Last-Subject-Sequence`: JetStream stores it
 *   only if no other event entered the topic since the one this node knows of, and the event
 *   records that sequence, so each topic's history is a chain in which a missing link is seen.
 *   Events of one call are stored in argument order; a call is not atomic (NATS 2.9 has no
 *   atomic batch), so when one fails the earlier ones of the call stay stored.
 * - **Supplied ids** are idempotent per (publisher, topic): an index in a KV bucket points at the
 *   event, which is read back and checked; JetStream's `Nats-Msg-Id` dedupe also drops a retry
 *   that raced the first publish, or that followed a node dying between storing and indexing.
 * - **Retention**: by count, JetStream's `max_msgs_per_subject` plus a trim for topics of smaller
 *   rules; by age, a sweep on the events' own times.
 *
 * Acknowledged means "JetStream has it": as durable as the stream's storage and replicas.
 *
 * @see natsEngine to run a hub on it.
 */
export class NatsStore implements HistoryStore {
  readonly kind = 'nats';
  readonly link: NatsLink;
  readonly stream: NatsStream;
  readonly names: NatsNames;
  private readonly policy: RetentionPolicy;
  private readonly reader: NatsReader;
  private readonly watermarks: NatsWatermarks;
  private readonly suppliedIds: NatsSuppliedIds;
  private readonly now: () => number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly ownsLink: boolean;
  /** The last sequence of each topic this node appended to or looked up. */
  private readonly lastSeq = new Map<string, number>();
  /** Appends in progress per topic: one at a time per topic on a node, so they never race. */
  private readonly topicLocks = new Map<string, Promise<unknown>>();
  private closed = false;

  /**
   * @param parts a link and stream shared with the engine's other parts (the store then does not
   *   close the link).
   * @param fannedOut filled with every event appended here, which the engine's broker does not
   *   publish again (every node reads it from the stream).
   */
  constructor(
    options: NatsStoreOptions,
    parts?: NatsStoreParts,
    private readonly fannedOut?: WeakSet<StoredEvent>,
  ) {
    this.ownsLink = !parts;
    const p = parts ?? natsStoreParts(options);
    this.link = p.link;
    this.stream = p.stream;
    this.names = this.stream.names;
    this.policy = this.stream.policy;
    this.now = options.now ?? Date.now;
    this.watermarks = new NatsWatermarks(this.names, this.policy);
    this.reader = new NatsReader(this.stream, this.watermarks);
    const longest = Math.max(...this.policy.ageLimits(), options.dedupeWindowMs ?? 120_000);
    this.suppliedIds = new NatsSuppliedIds(this.names.idsBucket, longest, options.replicas ?? 1);
    this.sweep = setInterval(() => {
      this.sweepOnce().catch(() => {
        // NATS is down or busy; the next sweep tries again.
      });
    }, this.policy.sweepIntervalMs());
    this.sweep.unref();
  }

  /** Age retention, and a look at the id key so that a purge behind the hub's back is noticed. */
  private async sweepOnce(): Promise<void> {
    if (this.closed || !this.link.up) return;
    const h = await this.stream.ready('old events cannot be pruned');
    await this.stream.loadKey(h);
    await pruneByAge(h, this.stream, this.watermarks, this.policy, this.now());
  }

  async append(events: readonly NewEvent[]): Promise<AppendResult[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    for (const e of events) {
      if (e.id !== undefined && hasGeneratedShape(e.id)) {
        throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
      }
    }
    const consequence =
      events.length === 1 ? 'the event was not stored' : `the ${events.length} events were not stored`;
    const h = await this.stream.ready(consequence);
    const results: AppendResult[] = [];
    const batch = new Map<string, StoredEvent>();
    try {
      const ids = await this.stream.ids(h);
      for (const e of events)
        results.push(await this.locked(e.topic, () => this.appendOne(h, ids, e, batch)));
    } catch (err) {
      this.stream.lost(err);
      throw this.link.failure(
        err,
        results.length === 0
          ? `${consequence} (or may have been, if NATS stored it before the answer was lost: publish again with the same "id" to be sure)`
          : `only the first ${results.length} of the ${events.length} events were stored (publish again with the same ids to be sure)`,
      );
    }
    return results;
  }

  private async locked<T>(topic: string, fn: () => Promise<T>): Promise<T> {
    const before = this.topicLocks.get(topic) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.topicLocks.set(topic, tail);
    try {
      return await run;
    } finally {
      if (this.topicLocks.get(topic) === tail) this.topicLocks.delete(topic);
    }
  }

  /** The event a supplied id's index entry points at, if it is still that publisher's event there. */
  private async original(h: NatsHandles, ids: GeneratedIds, seq: number, e: NewEvent) {
    const m = await h.jsm.direct.getMessage(this.names.stream, { seq });
    if (!m || m.subject !== topicSubject(this.names, e.topic)) return undefined;
    const d = decodeEvent(this.names, ids, m.subject, m.seq, m.data, m.header);
    if (!d || d.suppliedId !== e.id || d.publisher !== digest(e.publisher ?? '')) return undefined;
    return d.event;
  }

  private async lastOf(h: NatsHandles, topic: string, subject: string): Promise<number> {
    const known = this.lastSeq.get(topic);
    if (known !== undefined) return known;
    const m = await h.jsm.direct.getMessage(this.names.stream, { last_by_subj: subject });
    return m?.seq ?? 0;
  }

  private remember(topic: string, seq: number): void {
    if (this.lastSeq.size >= REMEMBERED_TOPICS) this.lastSeq.clear();
    this.lastSeq.set(topic, seq);
  }

  private async appendOne(
    h: NatsHandles,
    ids: GeneratedIds,
    e: NewEvent,
    batch: Map<string, StoredEvent>,
  ): Promise<AppendResult> {
    const subject = topicSubject(this.names, e.topic);
    let key: string | undefined;
    let generation = 0;
    if (e.id !== undefined) {
      key = NatsSuppliedIds.key(e.id, e.topic, e.publisher);
      const earlier = batch.get(key);
      if (earlier) return { event: earlier, duplicate: true };
      const seq = await this.suppliedIds.lookup(h, key);
      if (seq !== undefined) {
        const event = await this.original(h, ids, seq, e);
        if (event) return { event, duplicate: true };
        // Its event was evicted: the id is free again, under a message id of its own.
        generation = seq;
      }
    }
    const body = encodeEvent(e);
    let ack: PubAck | undefined;
    for (let attempt = 0; !ack; attempt++) {
      const prev = await this.lastOf(h, e.topic, subject);
      const hdrs = headers();
      hdrs.set(PREV_HEADER, String(prev));
      try {
        const a = await h.js.publish(subject, body, {
          headers: hdrs,
          expect: { lastSubjectSequence: prev },
          ...(key === undefined ? {} : { msgID: `${key}.${generation}` }),
        });
        if (a.duplicate && key !== undefined) {
          // A retry of a publish JetStream already stored (within its dedupe window).
          const event = await this.original(h, ids, a.seq, e);
          if (event) {
            await this.suppliedIds.record(h, key, a.seq);
            return { event, duplicate: true };
          }
          generation = a.seq;
          continue;
        }
        ack = a;
      } catch (err) {
        this.lastSeq.delete(e.topic);
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE || attempt >= APPEND_ATTEMPTS) throw err;
      }
    }
    this.remember(e.topic, ack.seq);
    const pos = String(ack.seq);
    const event: StoredEvent = {
      id: e.id ?? ids.encode(pos),
      pos,
      topic: e.topic,
      type: e.type,
      ts: e.ts,
      dataJson: e.dataJson,
      ...(e.meta === undefined ? {} : { meta: e.meta }),
    };
    if (key !== undefined) {
      batch.set(key, event);
      await this.suppliedIds.record(h, key, ack.seq);
    }
    this.fannedOut?.add(event);
    const keep = Math.floor(this.policy.for(e.topic).maxEvents);
    if (keep < this.stream.maxPerSubject) {
      await h.jsm.streams.purge(this.names.stream, { filter: subject, keep });
    }
    return { event, duplicate: false };
  }

  async resolve(lastEventId: string, filter: TopicFilter): Promise<ResumePoint> {
    this.assertOpen();
    const consequence = 'the stream cannot resume from history yet';
    const h = await this.stream.ready(consequence);
    try {
      if (hasGeneratedShape(lastEventId)) {
        // Read the key again: one that changed means the stream lost its history meanwhile.
        const ids = await this.stream.loadKey(h);
        const pos = ids.decode(lastEventId);
        if (pos === undefined || !/^\d+$/.test(pos)) {
          return this.stream.idKeys.ofLostHistory(lastEventId)
            ? { kind: 'unknown', replayFrom: '0' }
            : { kind: 'unknown' };
        }
        if (pos === '0') return { kind: 'found', pos };
        const info = await h.jsm.streams.info(this.names.stream);
        return Number(pos) <= info.state.last_seq ? { kind: 'found', pos } : { kind: 'unknown' };
      }
      if (lastEventId === '') return { kind: 'unknown' };
      const ids = await this.stream.ids(h);
      const exact = filter.patterns.length === 0;
      const seqs = await this.suppliedIds.find(h, lastEventId, exact ? filter.topics : undefined);
      const events: StoredEvent[] = [];
      for (const seq of seqs) {
        const m = await h.jsm.direct.getMessage(this.names.stream, { seq });
        if (!m) continue;
        const d = decodeEvent(this.names, ids, m.subject, m.seq, m.data, m.header);
        if (!d || d.suppliedId !== lastEventId) continue;
        const t = d.event.topic;
        if (filter.topics.includes(t) || filter.patterns.some((p) => p.matches(t))) events.push(d.event);
      }
      if (events.length === 0) return { kind: 'unknown' };
      events.sort((a, b) => Number(a.pos) - Number(b.pos));
      return { kind: 'matches', events: events.slice(0, MAX_ID_MATCHES) };
    } catch (err) {
      this.stream.lost(err);
      throw this.link.failure(err, consequence);
    }
  }

  async readAfter(after: string, filter: TopicFilter, limit: number): Promise<ReadResult> {
    this.assertOpen();
    if (!/^\d+$/.test(after) || !Number.isSafeInteger(Number(after))) {
      throw new RangeError(`Position "${after}" is not a position of this NATS store (a stream sequence).`);
    }
    const h = await this.stream.ready('history cannot be read');
    try {
      return await this.reader.read(h, Number(after), filter, limit);
    } catch (err) {
      this.stream.lost(err);
      throw this.link.failure(err, 'history cannot be read');
    }
  }

  async head(): Promise<string> {
    this.assertOpen();
    const consequence = 'the stream has no position to start from';
    const h = await this.stream.ready(consequence);
    try {
      // Also learns the id key, which idAt needs right after.
      await this.stream.loadKey(h);
      const last = (await h.jsm.streams.info(this.names.stream)).state.last_seq;
      // Nothing but the id key was ever written: an empty history.
      return last <= 1 && this.stream.keySeq === 1 ? '0' : String(last);
    } catch (err) {
      this.stream.lost(err);
      throw this.link.failure(err, consequence);
    }
  }

  /**
   * A resume id of a position, with the id key this store last saw (the hub calls `head()` just
   * before). Should the stream have lost its history in between, the id resolves as unknown and
   * the client gets `reset`, never a silent gap.
   */
  idAt(pos: string): string {
    return (this.stream.idKeys.current ?? orphanIds).resumeId(pos);
  }

  /** The codec of the id key this store last saw in the stream. */
  get generatedIds(): GeneratedIds | undefined {
    return this.stream.idKeys.current;
  }

  async prune(): Promise<void> {
    this.assertOpen();
    const h = await this.stream.ready('old events cannot be pruned');
    try {
      await pruneByAge(h, this.stream, this.watermarks, this.policy, this.now());
    } catch (err) {
      throw this.link.failure(err, 'old events cannot be pruned');
    }
  }

  /** Number of topics with history: topics that age retention emptied have no subject left. */
  async countTopics(): Promise<number> {
    this.assertOpen();
    const h = await this.stream.ready('topics cannot be counted');
    return Object.keys(await eventSubjects(h, this.stream)).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    if (this.ownsLink) await this.link.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new HubError(503, 'unavailable', 'The history store is closed.');
  }
}

/**
 * Creates a NATS JetStream history store on its own connection.
 * @see NatsStore
 */
export function natsStore(options: NatsStoreOptions): NatsStore {
  return new NatsStore(options);
}
