import { compileUriTemplate, type UriTemplate } from './uri-template.js';

/**
 * A Mercure topic selector (draft-dunglas-mercure-07, "Topic Selectors"): `*` matches every topic;
 * any selector matches the topic equal to it; a selector that is a valid RFC 6570 URI template
 * also matches every expansion of it.
 */
export interface TopicSelector {
  readonly source: string;
  /** `*`. */
  readonly all: boolean;
  /** The compiled template, when the selector is one (has an expression and parses). */
  readonly template: UriTemplate | undefined;
  /**
   * Why the hub refuses the selector: it is a template over one of the limits of
   * `compileUriTemplate` (a clause for a sentence). Such a selector matches only itself, and
   * requests naming it are refused with `400`.
   */
  readonly refused?: string | undefined;
  /** Whether `topic` matches. */
  matches(topic: string): boolean;
}

// Selectors repeat (every tab of an app subscribes to the same templates): compile each once.
// Bounded in entries and in bytes, since any subscriber names selectors: emptied when full.
// Each template's matcher caches up to ~64 KiB of automaton, counted in its weight.
const cache = new Map<string, TopicSelector>();
const CACHE_MAX = 1_000;
/** Estimated bytes the cache may hold. */
const CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** The most a template's matcher caches of its automaton (see compileUriTemplate). */
const MATCHER_CACHE_BYTES = 64 * 1024;
let cacheBytes = 0;

/**
 * Estimated bytes of a cached selector: its strings and closures, and for a template its compiled
 * form (about 150 bytes per template character) plus what its matcher may cache.
 */
function weight(source: string, template: boolean): number {
  return 128 + source.length * (template ? 160 : 2) + (template ? MATCHER_CACHE_BYTES : 0);
}

/** Compiles a selector (cached). Never throws: a string that is no template is an exact selector. */
export function compileSelector(source: string): TopicSelector {
  let s = cache.get(source);
  if (s) return s;
  if (source === '*') {
    s = { source, all: true, template: undefined, matches: () => true };
  } else {
    const t = source.includes('{') ? compileUriTemplate(source) : undefined;
    const template = t && !('message' in t) ? t : undefined;
    s = {
      source,
      all: false,
      template,
      refused: t && 'message' in t && t.limit !== undefined ? t.message : undefined,
      matches: template
        ? (topic) => topic === source || template.matches(topic)
        : (topic) => topic === source,
    };
  }
  const w = weight(source, s.template !== undefined);
  if (cache.size >= CACHE_MAX || cacheBytes + w > CACHE_MAX_BYTES) {
    cache.clear();
    cacheBytes = 0;
  }
  cache.set(source, s);
  cacheBytes += w;
  return s;
}

/** Whether any of `topics` matches any of `selectors`. */
export function anyMatch(selectors: readonly TopicSelector[], topics: readonly string[]): boolean {
  for (const s of selectors) {
    if (s.all) return true;
    for (const t of topics) if (s.matches(t)) return true;
  }
  return false;
}

/** @internal Entries and estimated bytes of the selector cache, for tests. */
export function selectorCacheFigures(): { entries: number; bytes: number } {
  return { entries: cache.size, bytes: cacheBytes };
}
