import type { TopicPattern } from '@tidings/protocol';

interface Node {
  readonly parent: Node | undefined;
  readonly segment: string;
  children: Map<string, Node> | undefined;
  /** This node's own topic's eviction watermark, or -1 when no topic ends here. */
  own: number;
  /**
   * At least the highest watermark in this subtree (own included). Raised eagerly, lowered lazily
   * by a search that finds nothing above it, so it is an upper bound, never too low.
   */
  max: number;
}

function node(parent: Node | undefined, segment: string): Node {
  return { parent, segment, children: undefined, own: -1, max: -1 };
}

/**
 * The topics of a store in a segment trie, each with its eviction watermark (the highest
 * position retention removed from it, 0 when none).
 *
 * Why: a reader resuming after position `p` on a wildcard pattern must learn whether retention
 * removed anything after `p` from any topic the pattern matches. Walking every topic costs the
 * same for `**` as for one topic; here a search only enters branches the pattern's segments
 * select and whose subtree maximum lies above `p`, so it costs in proportion to the matching
 * topics that lost events since `p` (nothing at all for a fresh subscriber).
 */
export class TopicTrie {
  private readonly root: Node = node(undefined, '');
  private count = 0;

  /** Number of topics held. */
  get size(): number {
    return this.count;
  }

  /** Adds `topic` (watermark 0) if missing. */
  add(topic: string): void {
    let n = this.root;
    for (const s of topic.split('/')) {
      n.children ??= new Map();
      let c = n.children.get(s);
      if (!c) {
        c = node(n, s);
        n.children.set(s, c);
      }
      n = c;
    }
    if (n.own < 0) {
      n.own = 0;
      this.count++;
      if (n.max < 0) this.raiseFrom(n, 0);
    }
  }

  /** Raises the watermark of `topic` (added if missing) to `pos`. */
  raise(topic: string, pos: number): void {
    this.add(topic);
    const n = this.find(topic) as Node;
    if (pos > n.own) {
      n.own = pos;
      this.raiseFrom(n, pos);
    }
  }

  /** Removes `topic` and the branches it leaves empty. */
  delete(topic: string): void {
    const n = this.find(topic);
    if (!n || n.own < 0) return;
    n.own = -1;
    this.count--;
    let c: Node | undefined = n;
    while (c?.parent && c.own < 0 && !c.children?.size) {
      const p: Node = c.parent;
      p.children?.delete(c.segment);
      if (p.children?.size === 0) p.children = undefined;
      c = p;
    }
  }

  /** Whether a topic matched by `pattern` has a watermark above `after`. */
  anyAbove(pattern: TopicPattern, after: number): boolean {
    const segs = pattern.segments;
    const fixed = pattern.deep ? segs.length - 1 : segs.length;
    const walk = (n: Node, i: number): boolean => {
      if (n.max <= after) return false;
      if (i === fixed) return pattern.deep ? this.subtreeAbove(n, after) : n.own > after;
      const s = segs[i] as string;
      if (s !== '*') {
        const c = n.children?.get(s);
        return c !== undefined && walk(c, i + 1);
      }
      if (n.children) for (const c of n.children.values()) if (walk(c, i + 1)) return true;
      return false;
    };
    return walk(this.root, 0);
  }

  private subtreeAbove(n: Node, after: number): boolean {
    if (n.max <= after) return false;
    if (n.own > after) return true;
    let max = n.own;
    if (n.children) {
      for (const c of n.children.values()) {
        if (this.subtreeAbove(c, after)) return true;
        if (c.max > max) max = c.max;
      }
    }
    // Nothing here is above `after`: tighten the bound so the next search skips this subtree.
    n.max = max;
    return false;
  }

  private find(topic: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const s of topic.split('/')) {
      n = n.children?.get(s);
      if (!n) return undefined;
    }
    return n;
  }

  private raiseFrom(n: Node | undefined, pos: number): void {
    for (let c = n; c && c.max < pos; c = c.parent) c.max = pos;
  }
}
