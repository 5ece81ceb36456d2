/**
 * Which SWR cache keys an invalidation reaches:
 * - a string: string keys equal to it or extending it as a path or query (`'/actions'` matches
 *   `'/actions'`, `'/actions?session=1'` and `'/actions/7'`, not `'/actions-archive'`), and array
 *   keys whose first element does;
 * - an array: array keys starting with its elements (`['actions', id]`);
 * - a function of the key, for anything else.
 */
export type SWRTarget = string | readonly unknown[] | ((key: unknown) => boolean);

const BOUNDARY = '/?&#';

function matchesString(target: string, key: unknown): boolean {
  if (typeof key !== 'string') return false;
  if (key === target) return true;
  if (!key.startsWith(target)) return false;
  return BOUNDARY.includes(target.at(-1) ?? '') || BOUNDARY.includes(key[target.length] ?? '');
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compiles a {@link SWRTarget} into the key filter SWR's `mutate` takes. */
export function swrKeyMatcher(target: SWRTarget): (key: unknown) => boolean {
  if (typeof target === 'function') return target;
  if (typeof target === 'string') {
    return (key) => matchesString(target, key) || (Array.isArray(key) && matchesString(target, key[0]));
  }
  return (key) =>
    Array.isArray(key) && key.length >= target.length && target.every((part, i) => same(part, key[i]));
}
