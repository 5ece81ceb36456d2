import { validateTopic } from '@tidings/protocol';

/** The label value that stands for every value past a bound. */
export const OTHER_LABEL = '_other';

/** How topics and event types become metric labels. Every choice keeps the series count bounded. */
export interface LabelPolicyOptions {
  /**
   * Topic prefixes that become `topic` label values, as in `["orders", "tenant/acme"]`. A topic
   * gets the longest prefix it equals or starts with (followed by `/`); every other topic is
   * counted under `"_other"`. When absent, topics are labelled by their first segment instead,
   * the first {@link LabelPolicyOptions.maxTopicLabels} distinct ones each getting a label.
   * @defaultValue none: first segment, bounded
   */
  topicPrefixes?: readonly string[] | undefined;
  /** Distinct first segments kept as labels when `topicPrefixes` is absent. @defaultValue 50 */
  maxTopicLabels?: number | undefined;
  /** Distinct event types kept as `type` labels, first come first served. @defaultValue 50 */
  maxTypeLabels?: number | undefined;
}

/**
 * Admits the first `max` distinct values it is asked about; any later new value maps to
 * {@link OTHER_LABEL}. A value once admitted keeps its label, so a series never changes meaning.
 */
export class BoundedLabels {
  private readonly admitted = new Set<string>();

  constructor(readonly max: number) {}

  /** The label for `value`. */
  label(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.max) return OTHER_LABEL;
    this.admitted.add(value);
    return value;
  }

  /** How many values have their own label. */
  get size(): number {
    return this.admitted.size;
  }
}

/**
 * Maps topics and event types to label values with bounded cardinality: metric series are
 * created per label combination, and publishers choose topics and types freely (10,000 user
 * topics must not become 10,000 series).
 */
export class LabelPolicy {
  private readonly prefixes: readonly string[] | undefined;
  private readonly firstSegments: BoundedLabels;
  private readonly types: BoundedLabels;

  /** @throws {RangeError} naming a prefix that is not a valid topic, or a bound that is not a positive integer. */
  constructor(o: LabelPolicyOptions = {}) {
    if (o.topicPrefixes) {
      for (const p of o.topicPrefixes) {
        const err = validateTopic(p);
        if (err) throw new RangeError(`The metrics topic prefix "${p}" is not a valid topic: ${err.message}`);
      }
      // Longest first, so "tenant/acme" wins over "tenant" for "tenant/acme/leases".
      this.prefixes = [...new Set(o.topicPrefixes)].sort((a, b) => b.length - a.length);
    }
    this.firstSegments = new BoundedLabels(bound('maxTopicLabels', o.maxTopicLabels));
    this.types = new BoundedLabels(bound('maxTypeLabels', o.maxTypeLabels));
  }

  /** The `topic` label of a topic. */
  topic(topic: string): string {
    if (this.prefixes) {
      for (const p of this.prefixes) {
        if (topic.startsWith(p) && (topic.length === p.length || topic.charCodeAt(p.length) === 47)) return p;
      }
      return OTHER_LABEL;
    }
    const slash = topic.indexOf('/');
    return this.firstSegments.label(slash < 0 ? topic : topic.slice(0, slash));
  }

  /** The `type` label of an event type. */
  type(type: string): string {
    return this.types.label(type);
  }
}

function bound(name: string, v: number | undefined): number {
  if (v === undefined) return 50;
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`The metrics option ${name} must be a positive integer, not ${v}.`);
  }
  return v;
}
