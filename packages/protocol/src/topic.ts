/**
 * Topic names and subscription patterns.
 *
 * A topic is one to {@link TOPIC_LIMITS.maxSegments} segments joined by `/`. A segment is one or
 * more printable ASCII characters other than `/` and `*`, and is never `.` or `..`. A pattern is a
 * topic whose segments may also be `*` (exactly one segment) or, as the last segment only, `**`
 * (zero or more trailing segments).
 *
 * The grammar is deliberately narrow: ASCII only so look-alike characters cannot smuggle a
 * separator past an authorization check, no empty or dot segments so a topic can never be read as
 * a path that climbs out of a grant.
 */

/** Size limits applied to every topic and pattern. */
export const TOPIC_LIMITS = {
  /** Longest topic or pattern, in characters. */
  maxLength: 256,
  /** Most `/`-separated segments in a topic or pattern. */
  maxSegments: 32,
} as const;

/** Why a topic or pattern was refused; `message` is a sentence fit for an HTTP error body. */
export interface TopicError {
  readonly message: string;
}

const SEGMENT_CHAR = /^[\x21-\x7e]+$/;

function checkSegments(input: string, kind: 'topic' | 'pattern'): { segments: string[] } | TopicError {
  if (typeof input !== 'string' || input.length === 0) {
    return { message: `The ${kind} is empty; give a name such as "leases" or "tenant/acme/jobs".` };
  }
  if (input.length > TOPIC_LIMITS.maxLength) {
    return {
      message: `The ${kind} "${input.slice(0, 40)}…" is ${input.length} characters long; the limit is ${TOPIC_LIMITS.maxLength}.`,
    };
  }
  const segments = input.split('/');
  if (segments.length > TOPIC_LIMITS.maxSegments) {
    return {
      message: `The ${kind} "${input}" has ${segments.length} segments; the limit is ${TOPIC_LIMITS.maxSegments}.`,
    };
  }
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg.length === 0) {
      return {
        message: `The ${kind} "${input}" has an empty segment; remove the leading, trailing or doubled "/".`,
      };
    }
    if (seg === '.' || seg === '..') {
      return { message: `The ${kind} "${input}" has a "${seg}" segment, which is not allowed.` };
    }
    if (!SEGMENT_CHAR.test(seg)) {
      return {
        message: `The ${kind} "${input}" contains a space, control or non-ASCII character; use printable ASCII only.`,
      };
    }
    if (seg.includes('*')) {
      if (kind === 'topic') {
        return {
          message: `The topic "${input}" contains "*"; wildcards belong in subscription patterns, not in the topic an event is published to.`,
        };
      }
      if (seg === '**') {
        if (i !== segments.length - 1) {
          return {
            message: `The pattern "${input}" uses "**" before its last segment; "**" may only end a pattern, as in "tenant/acme/**".`,
          };
        }
      } else if (seg !== '*') {
        return {
          message: `The pattern "${input}" has the segment "${seg}"; a wildcard must be a whole segment, "*" or "**".`,
        };
      }
    }
  }
  return { segments };
}

/**
 * Checks a topic an event is published to.
 * @returns `undefined` when valid, else a {@link TopicError} explaining what to change.
 */
export function validateTopic(topic: string): TopicError | undefined {
  const r = checkSegments(topic, 'topic');
  return 'message' in r ? r : undefined;
}

/**
 * Checks a subscription pattern (a topic, or a topic with `*` / trailing `**` segments).
 * @returns `undefined` when valid, else a {@link TopicError} explaining what to change.
 */
export function validatePattern(pattern: string): TopicError | undefined {
  const r = checkSegments(pattern, 'pattern');
  return 'message' in r ? r : undefined;
}

/** True when the (valid) pattern contains a `*` or `**` segment. */
export function isWildcardPattern(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * A validated, pre-split subscription pattern. Build one with {@link compilePattern}; matching is
 * a segment walk without allocation beyond the topic split.
 */
export interface TopicPattern {
  /** The pattern as written. */
  readonly source: string;
  /** Its segments, `*` and `**` included. */
  readonly segments: readonly string[];
  /** False for a plain topic (exact match). */
  readonly wildcard: boolean;
  /** True when the pattern ends in `**`. */
  readonly deep: boolean;
  /** Whether `topic` (a valid topic) is matched by this pattern. */
  matches(topic: string): boolean;
  /** Whether a topic already split into segments is matched by this pattern. */
  matchesSegments(topicSegments: readonly string[]): boolean;
}

function matchSegments(pattern: readonly string[], deep: boolean, topic: readonly string[]): boolean {
  const fixed = deep ? pattern.length - 1 : pattern.length;
  if (deep ? topic.length < fixed : topic.length !== fixed) return false;
  for (let i = 0; i < fixed; i++) {
    const p = pattern[i];
    if (p !== '*' && p !== topic[i]) return false;
  }
  return true;
}

/**
 * Validates and compiles a subscription pattern.
 * @throws {TypeError} with the {@link TopicError} message when the pattern is invalid.
 */
export function compilePattern(pattern: string): TopicPattern {
  const r = checkSegments(pattern, 'pattern');
  if ('message' in r) throw new TypeError(r.message);
  const segments = r.segments;
  const deep = segments[segments.length - 1] === '**';
  const wildcard = pattern.includes('*');
  return {
    source: pattern,
    segments,
    wildcard,
    deep,
    matches: wildcard
      ? (topic: string) => matchSegments(segments, deep, topic.split('/'))
      : (topic: string) => topic === pattern,
    matchesSegments: (topicSegments) => matchSegments(segments, deep, topicSegments),
  };
}

/**
 * Whether `topic` is matched by `pattern`. Both must already be valid; for repeated matching
 * compile the pattern once with {@link compilePattern}.
 *
 * @example
 * matchTopic('tenant/*\/jobs', 'tenant/acme/jobs') // true
 * matchTopic('tenant/acme/**', 'tenant/acme')     // true: ** matches zero segments
 */
export function matchTopic(pattern: string, topic: string): boolean {
  if (!pattern.includes('*')) return pattern === topic;
  const segments = pattern.split('/');
  const deep = segments[segments.length - 1] === '**';
  return matchSegments(segments, deep, topic.split('/'));
}

/**
 * Whether every topic matched by `inner` is also matched by `outer`: used to decide if a
 * subscription pattern lies entirely within a grant. Conservative: `false` means "not provably
 * contained", in which case the caller must filter event by event.
 */
export function patternCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const i = inner.split('/');
  const oDeep = o[o.length - 1] === '**';
  const iDeep = i[i.length - 1] === '**';
  const oFixed = oDeep ? o.length - 1 : o.length;
  const iFixed = iDeep ? i.length - 1 : i.length;
  if (iDeep && !oDeep) return false;
  if (oDeep ? iFixed < oFixed : iFixed !== oFixed) return false;
  for (let k = 0; k < oFixed; k++) {
    const os = o[k];
    const is = i[k];
    if (os === '*') continue;
    if (is === '*' || os !== is) return false;
  }
  // An inner ** beyond the outer's fixed part only adds segments, which outer's ** absorbs.
  return true;
}
