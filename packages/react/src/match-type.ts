/**
 * A test for event types, compiled from a pattern: an exact name, `*` for every type, or a glob
 * where `*` stands for any run of characters (`'lease-*'`, `'*.failed'`, `'build_*'`).
 */
export type TypeMatcher = (type: string) => boolean;

const cache = new Map<string, TypeMatcher>();

/**
 * Compiles a type pattern into a matcher (cached per pattern).
 * @example matchType('lease-*')('lease-added') // true
 */
export function typeMatcher(pattern: string): TypeMatcher {
  let m = cache.get(pattern);
  if (m) return m;
  if (pattern === '*') m = () => true;
  else if (!pattern.includes('*')) m = (type) => type === pattern;
  else {
    const re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    m = (type) => re.test(type);
  }
  if (cache.size < 1000) cache.set(pattern, m);
  return m;
}

/** Whether `type` matches `pattern` (see {@link typeMatcher}). */
export function matchType(pattern: string, type: string): boolean {
  return typeMatcher(pattern)(type);
}

/** A matcher for any of `patterns`; `undefined` or an empty list matches every type. */
export function anyTypeMatcher(patterns: readonly string[] | undefined): TypeMatcher {
  if (!patterns || patterns.length === 0) return () => true;
  const ms = patterns.map(typeMatcher);
  return (type) => ms.some((m) => m(type));
}
