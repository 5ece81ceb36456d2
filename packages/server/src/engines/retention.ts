import { compilePattern, type TopicPattern } from '@tidings/protocol';
import type { RetentionOptions } from './history-store.js';

/** The limits that apply to one topic. */
export interface TopicRetention {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** Default per-topic retention: 10,000 events or 24 hours, whichever is hit first. */
export const DEFAULT_RETENTION: TopicRetention = { maxEvents: 10_000, maxAgeMs: 86_400_000 };

/** Characters of topic names {@link RetentionPolicy} remembers the limits of. */
const MAX_CACHED_TOPIC_CHARS = 2 * 1024 * 1024;

function checkLimit(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isFinite(v) || v < 1)) {
    throw new RangeError(`Retention ${name} must be a positive number, not ${v}.`);
  }
}

/**
 * Resolves the retention limits of each topic from the options, caching per topic since rules
 * are fixed for the store's life.
 */
export class RetentionPolicy {
  readonly defaults: TopicRetention;
  private readonly rules: Array<{ pattern: TopicPattern; limits: TopicRetention }>;
  private readonly cache = new Map<string, TopicRetention>();
  private cacheChars = 0;

  constructor(options: RetentionOptions = {}) {
    checkLimit('maxEvents', options.maxEvents);
    checkLimit('maxAgeMs', options.maxAgeMs);
    this.defaults = {
      maxEvents: options.maxEvents ?? DEFAULT_RETENTION.maxEvents,
      maxAgeMs: options.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs,
    };
    this.rules = (options.rules ?? []).map((r) => {
      checkLimit('maxEvents', r.maxEvents);
      checkLimit('maxAgeMs', r.maxAgeMs);
      return {
        pattern: compilePattern(r.pattern),
        limits: {
          maxEvents: r.maxEvents ?? this.defaults.maxEvents,
          maxAgeMs: r.maxAgeMs ?? this.defaults.maxAgeMs,
        },
      };
    });
  }

  /** The limits for `topic`. */
  for(topic: string): TopicRetention {
    if (this.rules.length === 0) return this.defaults;
    let r = this.cache.get(topic);
    if (!r) {
      r = this.rules.find((x) => x.pattern.matches(topic))?.limits ?? this.defaults;
      // Bounded in characters (topics are ASCII, at most 256 each): about 2 MiB of keys.
      if (this.cacheChars + topic.length > MAX_CACHED_TOPIC_CHARS) {
        this.cache.clear();
        this.cacheChars = 0;
      }
      this.cache.set(topic, r);
      this.cacheChars += topic.length;
    }
    return r;
  }

  /**
   * The age limits that can apply to some topic `pattern` matches: the default's and those of the
   * rules whose patterns overlap it (first match wins, so any overlapping rule may be the one).
   */
  agesFor(pattern: TopicPattern): number[] {
    if (!pattern.wildcard) return [this.for(pattern.source).maxAgeMs];
    const ages = new Set([this.defaults.maxAgeMs]);
    for (const r of this.rules)
      if (patternsOverlap(r.pattern.segments, pattern.segments)) ages.add(r.limits.maxAgeMs);
    return [...ages];
  }

  /** The distinct age limits in force (the default and every rule's). */
  ageLimits(): number[] {
    return [...new Set([this.defaults.maxAgeMs, ...this.rules.map((r) => r.limits.maxAgeMs)])];
  }

  /** How often to sweep for expired events: a tenth of the shortest age, between 1 s and 60 s. */
  sweepIntervalMs(): number {
    const shortest = Math.min(this.defaults.maxAgeMs, ...this.rules.map((r) => r.limits.maxAgeMs));
    return Math.max(1000, Math.min(60_000, Math.floor(shortest / 10)));
  }
}

/**
 * Whether some topic is matched by both patterns (given as segments; `*` is one segment, a final
 * `**` zero or more).
 */
export function patternsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const aDeep = a[a.length - 1] === '**';
  const bDeep = b[b.length - 1] === '**';
  const aFixed = aDeep ? a.length - 1 : a.length;
  const bFixed = bDeep ? b.length - 1 : b.length;
  for (let i = 0; i < Math.min(aFixed, bFixed); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  if (aFixed === bFixed) return true;
  // The shorter one must absorb the other's extra segments with its "**".
  return aFixed < bFixed ? aDeep : bDeep;
}

/** Random lowercase base-36 token: a Redis history's epoch (which tells one history from the next), lock tokens. */
export function newEpoch(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}
