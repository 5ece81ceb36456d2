import { GeneratedIds } from '../generated-ids.js';

/**
 * The codecs of the id keys seen, by key: one per history, so in practice one (a second only
 * after Redis lost its data).
 */
const codecs = new Map<string, GeneratedIds>();

/**
 * The codec of a history's id key as read from Redis (the `idkey` key), shared by the store and
 * the broker of every engine in the process; undefined when Redis has none (yet).
 */
export function codecOf(key: string | null | undefined): GeneratedIds | undefined {
  if (!key) return undefined;
  let c = codecs.get(key);
  if (!c) {
    if (codecs.size >= 16) codecs.clear();
    c = new GeneratedIds(key);
    codecs.set(key, c);
  }
  return c;
}
