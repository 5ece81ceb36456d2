import type { RetentionPolicy } from '../retention.js';
import { eventTime } from './nats-event-codec.js';
import type { NatsHandles } from './nats-link.js';
import { subjectTopic } from './nats-names.js';
import type { NatsStream } from './nats-stream.js';
import type { NatsWatermarks } from './nats-watermarks.js';

/** The event subjects in the stream and how many events each holds. */
export async function eventSubjects(h: NatsHandles, stream: NatsStream): Promise<Record<string, number>> {
  const info = await h.jsm.streams.info(stream.names.stream, { subjects_filter: `${stream.names.events}.>` });
  return info.state.subjects ?? {};
}

/**
 * Removes, topic by topic, the oldest events older than the topic's age limit (by the events'
 * own times, which the publisher may set). A topic emptied this way first raises its age
 * class's watermark, so that no reader ever sees it gone without learning it lost events. The
 * purge only removes sequences up to the last expired one, so an event another node appends
 * meanwhile survives.
 */
export async function pruneByAge(
  h: NatsHandles,
  stream: NatsStream,
  watermarks: NatsWatermarks,
  policy: RetentionPolicy,
  now: number,
): Promise<void> {
  const names = stream.names;
  for (const subject of Object.keys(await eventSubjects(h, stream))) {
    const topic = subjectTopic(names, subject);
    if (topic === undefined) continue;
    const maxAgeMs = policy.for(topic).maxAgeMs;
    const cutoff = now - maxAgeMs;
    let lastOld = 0;
    let firstYoung: number | undefined;
    for (;;) {
      const m = await h.jsm.direct.getMessage(names.stream, { next_by_subj: subject, seq: lastOld + 1 });
      if (!m) break;
      if (!(eventTime(m.data) < cutoff)) {
        firstYoung = m.seq;
        break;
      }
      lastOld = m.seq;
    }
    if (lastOld === 0) continue;
    if (firstYoung === undefined) await watermarks.raise(h, maxAgeMs, lastOld);
    await h.jsm.streams.purge(names.stream, { filter: subject, seq: firstYoung ?? lastOld + 1 });
  }
}
