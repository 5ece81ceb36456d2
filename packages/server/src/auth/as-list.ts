/** One value or several, as a fresh list (an option such as `issuer` or `publisherKey` takes either). */
export function asList<T>(v: T | readonly T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}
