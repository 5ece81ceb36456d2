import { compilePattern, type TopicPattern } from '@tidings/protocol';
import type { RetentionOptions } from './history-store.js';

/** The limits that apply to one topic. */
export interface TopicRetention {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** Default per-topic retention: 10,000 events or 24 hours, whichever is hit first. */
export const DEFAULT_RETENTION: TopicRetention = { maxEvents: 10_000, maxAgeMs: 86_400_000 };

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
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(topic, r);
    }
    return r;
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

/** Random lowercase base-36 token: a Redis history's epoch (which tells one history from the next), lock tokens. */
export function newEpoch(): string {
  return Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}
