import type { TopicPattern } from '@tidings/protocol';

/** Anything the index can hold; `mark` is scratch space the index uses to de-duplicate a match. */
export interface Indexed {
  mark: number;
}

interface TrieNode<S> {
  children: Map<string, TrieNode<S>> | undefined;
  star: TrieNode<S> | undefined;
  /** Subscribers whose pattern ends here (after a `*` somewhere earlier). */
  here: Set<S> | undefined;
  /** Subscribers whose pattern is this node's path followed by `**`. */
  deep: Set<S> | undefined;
}

function node<S>(): TrieNode<S> {
  return { children: undefined, star: undefined, here: undefined, deep: undefined };
}

/**
 * Finds the subscribers of a topic: an exact-match map for plain topics, and a segment trie for
 * wildcard patterns. A subscriber matched by several of its patterns is reported once per lookup.
 */
export class SubscriberIndex<S extends Indexed> {
  private readonly exact = new Map<string, Set<S>>();
  private readonly root: TrieNode<S> = node();
  private wildcards = 0;
  private seq = 0;

  /** Number of wildcard registrations (0 lets `forEach` skip the trie walk). */
  get wildcardCount(): number {
    return this.wildcards;
  }

  /** Number of distinct exact topics with at least one subscriber. */
  get exactTopicCount(): number {
    return this.exact.size;
  }

  add(sub: S, pattern: TopicPattern): void {
    if (!pattern.wildcard) {
      let set = this.exact.get(pattern.source);
      if (!set) {
        set = new Set();
        this.exact.set(pattern.source, set);
      }
      set.add(sub);
      return;
    }
    let n = this.root;
    const segs = pattern.segments;
    const last = pattern.deep ? segs.length - 1 : segs.length;
    for (let i = 0; i < last; i++) {
      const s = segs[i] as string;
      if (s === '*') {
        n.star ??= node();
        n = n.star;
      } else {
        n.children ??= new Map();
        let c = n.children.get(s);
        if (!c) {
          c = node();
          n.children.set(s, c);
        }
        n = c;
      }
    }
    if (pattern.deep) {
      n.deep ??= new Set();
      n.deep.add(sub);
    } else {
      n.here ??= new Set();
      n.here.add(sub);
    }
    this.wildcards++;
  }

  remove(sub: S, pattern: TopicPattern): void {
    if (!pattern.wildcard) {
      const set = this.exact.get(pattern.source);
      if (set?.delete(sub) && set.size === 0) this.exact.delete(pattern.source);
      return;
    }
    const path: Array<[TrieNode<S>, string]> = [];
    let n: TrieNode<S> | undefined = this.root;
    const segs = pattern.segments;
    const last = pattern.deep ? segs.length - 1 : segs.length;
    for (let i = 0; i < last && n; i++) {
      const s = segs[i] as string;
      path.push([n, s]);
      n = s === '*' ? n.star : n.children?.get(s);
    }
    if (!n) return;
    const set = pattern.deep ? n.deep : n.here;
    if (!set?.delete(sub)) return;
    this.wildcards--;
    // Prune empty branches so churn of unique patterns does not grow the trie forever.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, s] = path[i] as [TrieNode<S>, string];
      const child = s === '*' ? parent.star : parent.children?.get(s);
      if (!child || !isEmpty(child)) break;
      if (s === '*') parent.star = undefined;
      else {
        parent.children?.delete(s);
        if (parent.children?.size === 0) parent.children = undefined;
      }
    }
  }

  /** Calls `fn` once for every subscriber matching `topic`. */
  forEach(topic: string, fn: (sub: S) => void): void {
    const mark = ++this.seq;
    const set = this.exact.get(topic);
    if (set) {
      for (const s of set) {
        s.mark = mark;
        fn(s);
      }
    }
    if (this.wildcards > 0) this.walk(this.root, topic.split('/'), 0, mark, fn);
  }

  /** Whether any subscriber at all could match `topic` (cheap pre-check before encoding). */
  hasAny(topic: string): boolean {
    return this.wildcards > 0 || this.exact.has(topic);
  }

  private walk(n: TrieNode<S>, segs: string[], i: number, mark: number, fn: (sub: S) => void): void {
    if (n.deep) {
      for (const s of n.deep) {
        if (s.mark === mark) continue;
        s.mark = mark;
        fn(s);
      }
    }
    if (i === segs.length) {
      if (n.here) {
        for (const s of n.here) {
          if (s.mark === mark) continue;
          s.mark = mark;
          fn(s);
        }
      }
      return;
    }
    const c = n.children?.get(segs[i] as string);
    if (c) this.walk(c, segs, i + 1, mark, fn);
    if (n.star) this.walk(n.star, segs, i + 1, mark, fn);
  }
}

function isEmpty<S>(n: TrieNode<S>): boolean {
  return !n.children && !n.star && !n.here?.size && !n.deep?.size;
}
