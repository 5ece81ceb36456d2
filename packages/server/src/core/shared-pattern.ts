import { compilePattern, type TopicPattern } from '@tidings/protocol';

/**
 * Compiled patterns by source, shared by the whole process. Patterns are immutable, and thousands
 * of streams and presence queries usually name the same few topics: one compiled pattern (its
 * segments, matcher closure and strings) then serves them all, a few hundred bytes less per open
 * stream. Bounded, since subscriptions name arbitrary topics: emptied when full.
 */
const compiled = new Map<string, TopicPattern>();
const MAX_COMPILED = 10_000;

/** The compiled pattern for a valid `source` (validate it first: this does not). */
export function sharedPattern(source: string): TopicPattern {
  let p = compiled.get(source);
  if (p === undefined) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    p = compilePattern(source);
    compiled.set(source, p);
  }
  return p;
}
