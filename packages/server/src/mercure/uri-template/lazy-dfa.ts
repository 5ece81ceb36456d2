import { CHAR, MATCH, type Nfa, SPLIT, type Test } from './nfa.js';

/**
 * Most memory the lazily built automaton of one template may hold, in 32-bit words (a state
 * counts its set plus 16, a transition 4); past it the cache starts over. About 64 KiB.
 */
const MAX_DFA_WORDS = 16_384;

/** One state of the lazily built deterministic automaton: a set of automaton states. */
interface DState {
  /** The CHAR and MATCH states of the set (closed over SPLIT). */
  readonly set: Int32Array;
  readonly accepts: boolean;
  /** The next state by code unit, once computed. */
  readonly next: Map<number, DState>;
}

/**
 * Builds the matcher of an automaton: a deterministic automaton built lazily from the state-set
 * simulation. A step already taken is one look-up; a new one costs one simulation step (at
 * most the number of states) and is cached, within {@link MAX_DFA_WORDS}, after which the cache
 * starts over. Either way each character is looked at once: matching is linear in the string,
 * with a constant bounded by the template's size.
 */
export function lazyDfa(nfa: Nfa, start: number): (s: string) => boolean {
  const n = nfa.size;
  const kind = Int8Array.from(nfa.kind);
  const out1 = Int32Array.from(nfa.out1);
  const out2 = Int32Array.from(nfa.out2);
  const tests = nfa.test;
  const wide = nfa.wide;
  // Scratch space, reused: matching runs synchronously, one string at a time.
  const scratch = new Int32Array(n);
  const seen = new Uint32Array(n);
  const stack = new Int32Array(n);
  let gen = 0;
  let cache = new Map<string, DState>();
  let words = 0;
  let first: DState | undefined;

  /** Adds `s` and every state reachable from it without reading a character. */
  function close(count: number, s: number): number {
    let sp = 0;
    stack[sp++] = s;
    while (sp > 0) {
      const t = stack[--sp] as number;
      if (t < 0 || seen[t] === gen) continue;
      seen[t] = gen;
      if (kind[t] === SPLIT) {
        stack[sp++] = out2[t] as number;
        stack[sp++] = out1[t] as number;
      } else {
        scratch[count++] = t;
      }
    }
    return count;
  }

  function nextGen(): void {
    gen = (gen + 1) >>> 0 || 1;
    if (gen === 1) seen.fill(0);
  }

  /** The deterministic state for the `count` states in `scratch`, shared by equal sets. */
  function intern(count: number): DState {
    const set = scratch.slice(0, count).sort();
    const key = set.join(',');
    let d = cache.get(key);
    if (d === undefined) {
      words += count + 16;
      let accepts = false;
      for (const t of set) if (kind[t] === MATCH) accepts = true;
      d = { set, accepts, next: new Map() };
      cache.set(key, d);
    }
    return d;
  }

  function startState(): DState {
    nextGen();
    first = intern(close(0, start));
    return first;
  }

  function step(from: DState, c: number): DState {
    if (words > MAX_DFA_WORDS) {
      // Start over: states still referenced by a match in progress stay correct, only uncached.
      cache = new Map();
      words = 0;
      first = undefined;
    }
    nextGen();
    let count = 0;
    for (const t of from.set) {
      if (kind[t] === CHAR && (tests[t] as Test)(c)) count = close(count, out1[t] as number);
    }
    const to = intern(count);
    from.next.set(classOf(c), to);
    words += 4;
    return to;
  }

  /**
   * Transitions are cached per class of code unit: ASCII ones each their own, and every code unit
   * past ASCII that no literal names behaves alike (unreserved), so it shares the class -1.
   */
  const classOf = (c: number) => (c < 0x80 || wide.has(c) ? c : -1);

  return (s: string) => {
    let d = first ?? startState();
    for (let i = 0; i < s.length && d.set.length > 0; i++) {
      const c = s.charCodeAt(i);
      d = d.next.get(c < 0x80 ? c : classOf(c)) ?? step(d, c);
    }
    return d.accepts;
  };
}
