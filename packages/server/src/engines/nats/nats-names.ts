import type { TopicPattern } from '@tidings/protocol';

/**
 * The names one hub uses in NATS: its stream, its subjects and its KV buckets, all derived from
 * one prefix so that several hubs (or test runs) can share a NATS server.
 */
export interface NatsNames {
  /** The prefix as given. */
  readonly prefix: string;
  /** The JetStream stream holding every topic's history. */
  readonly stream: string;
  /** Subject of every event: `<prefix>.ev.<one token per topic segment>`. */
  readonly events: string;
  /** Subject of the id key message (see {@link NatsIdKey}). */
  readonly idKey: string;
  /** Subject prefix under which the stream republishes what it stores. */
  readonly republish: string;
  /** Core NATS subject of control messages. */
  readonly control: string;
  /** Core NATS subject of events handed to the broker that the store did not append. */
  readonly bus: string;
  /** KV bucket of supplied ids. */
  readonly idsBucket: string;
  /** KV bucket of watermarks of topics that age retention emptied. */
  readonly prunedBucket: string;
  /** KV bucket of presence. */
  readonly presenceBucket: string;
  /** KV bucket of revocations. */
  readonly revocationsBucket: string;
}

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The names for `prefix`.
 * @throws {RangeError} when the prefix is not 1 to 32 letters, digits, `-` or `_` (it becomes
 *   part of stream, subject and bucket names).
 */
export function natsNames(prefix: string): NatsNames {
  if (!PREFIX.test(prefix)) {
    throw new RangeError(
      `The NATS prefix "${prefix}" must be 1 to 32 letters, digits, "-" or "_" (it names streams, subjects and KV buckets); for example "tidings".`,
    );
  }
  return {
    prefix,
    stream: `${prefix}_events`,
    events: `${prefix}.ev`,
    idKey: `${prefix}.meta.idkey`,
    republish: `${prefix}.rp`,
    control: `${prefix}.ctl`,
    bus: `${prefix}.bus`,
    idsBucket: `${prefix}_ids`,
    prunedBucket: `${prefix}_pruned`,
    presenceBucket: `${prefix}_presence`,
    revocationsBucket: `${prefix}_revocations`,
  };
}

// A topic segment is printable ASCII without "/" or "*"; a subject token may not hold ".", ">"
// or "*" either. "%" escapes, so the mapping is one-to-one and a topic never reads as a wildcard.
function encodeSegment(seg: string): string {
  return seg.replace(/[%.>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeSegment(token: string): string {
  return token.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** The subject of `topic`'s events: one token per segment, so topic patterns map to subject wildcards. */
export function topicSubject(names: NatsNames, topic: string): string {
  return `${names.events}.${topic.split('/').map(encodeSegment).join('.')}`;
}

/** The topic of an event subject, or undefined for a subject that is not one. */
export function subjectTopic(names: NatsNames, subject: string): string | undefined {
  const head = `${names.events}.`;
  if (!subject.startsWith(head)) return undefined;
  return subject.slice(head.length).split('.').map(decodeSegment).join('/');
}

/**
 * The subject filters covering the topics `pattern` matches: `*` is NATS' `*`; a trailing `**`
 * (zero or more segments) is the fixed part itself plus the fixed part followed by `>`.
 */
export function patternSubjects(names: NatsNames, pattern: TopicPattern): string[] {
  if (!pattern.wildcard) return [topicSubject(names, pattern.source)];
  const fixed = (pattern.deep ? pattern.segments.slice(0, -1) : pattern.segments).map((s) =>
    s === '*' ? '*' : encodeSegment(s),
  );
  if (!pattern.deep) return [`${names.events}.${fixed.join('.')}`];
  if (fixed.length === 0) return [`${names.events}.>`];
  const base = `${names.events}.${fixed.join('.')}`;
  return [base, `${base}.>`];
}
