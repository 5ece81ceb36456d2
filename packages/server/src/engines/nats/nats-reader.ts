import type { StoredMsg } from '@nats-io/jetstream';
import type { GeneratedIds } from '../generated-ids.js';
import type { ReadResult, TopicFilter } from '../history-store.js';
import { type DecodedEvent, decodeEvent } from './nats-event-codec.js';
import type { NatsHandles } from './nats-link.js';
import { patternSubjects, subjectTopic, topicSubject } from './nats-names.js';
import type { NatsStream } from './nats-stream.js';
import type { NatsWatermarks } from './nats-watermarks.js';

/** Direct gets in flight at once for one read. */
const PARALLEL_GETS = 64;

/** Runs `fn` over `items` with at most `n` calls pending. */
async function mapLimited<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/**
 * Reads history after a position: the covered topics (exact ones, and those the patterns match
 * among the subjects the stream holds), the first event of each after the position, then a
 * merge by sequence, one direct get per event.
 *
 * Truncation is proven per topic rather than guessed: every event carries the sequence of the
 * event before it on its topic (the append sets it with `Nats-Expected-Last-Subject-Sequence`,
 * so it is exact even with many nodes), and a topic whose first retained event after the
 * position points back past the position lost the events in between. Topics that age retention
 * emptied leave a watermark ({@link NatsWatermarks}); a history lost whole (the stream purged or
 * deleted) shows as a new id key.
 */
export class NatsReader {
  constructor(
    private readonly stream: NatsStream,
    private readonly watermarks: NatsWatermarks,
  ) {}

  private async get(h: NatsHandles, subject: string, seq: number): Promise<StoredMsg | null> {
    return h.jsm.direct.getMessage(this.stream.names.stream, { next_by_subj: subject, seq });
  }

  private decode(ids: GeneratedIds, m: StoredMsg | null): DecodedEvent | undefined {
    if (!m) return undefined;
    return decodeEvent(this.stream.names, ids, m.subject, m.seq, m.data, m.header);
  }

  /** The topics `filter` covers that have events in the stream. */
  async covered(h: NatsHandles, filter: TopicFilter): Promise<string[]> {
    const names = this.stream.names;
    const topics = new Set(filter.topics);
    for (const p of filter.patterns) {
      for (const subjects_filter of patternSubjects(names, p)) {
        const info = await h.jsm.streams.info(names.stream, { subjects_filter });
        for (const subject of Object.keys(info.state.subjects ?? {})) {
          const t = subjectTopic(names, subject);
          if (t !== undefined && p.matches(t)) topics.add(t);
        }
      }
    }
    return [...topics];
  }

  async read(h: NatsHandles, after: number, filter: TopicFilter, limit: number): Promise<ReadResult> {
    const [info, ids, pruned] = await Promise.all([
      h.jsm.streams.info(this.stream.names.stream),
      this.stream.loadKey(h),
      this.watermarks.load(h),
    ]);
    // Positions before the id key's message may belong to a history the stream lost.
    let truncated = this.stream.keySeq > 1 && after < this.stream.keySeq - 1;
    if (info.state.last_seq <= after) return { events: [], truncated };
    if (pruned.mayHaveLost(filter, String(after))) truncated = true;
    const topics = await this.covered(h, filter);
    const subjects = topics.map((t) => topicSubject(this.stream.names, t));
    const heads = await mapLimited(subjects, PARALLEL_GETS, async (s) =>
      this.decode(ids, await this.get(h, s, after + 1)),
    );
    const cursors: Array<{ subject: string; head: DecodedEvent }> = [];
    heads.forEach((head, i) => {
      if (!head) return;
      if (head.prev > after) truncated = true;
      cursors.push({ subject: subjects[i] as string, head });
    });
    const events = [];
    while (events.length < limit && cursors.length > 0) {
      let k = 0;
      for (let i = 1; i < cursors.length; i++) {
        if (Number((cursors[i] as (typeof cursors)[0]).head.event.pos) < Number(cursors[k]?.head.event.pos))
          k = i;
      }
      const c = cursors[k] as (typeof cursors)[0];
      events.push(c.head.event);
      if (events.length >= limit) break;
      const next = this.decode(ids, await this.get(h, c.subject, Number(c.head.event.pos) + 1));
      if (next) c.head = next;
      else cursors.splice(k, 1);
    }
    return { events, truncated };
  }
}
