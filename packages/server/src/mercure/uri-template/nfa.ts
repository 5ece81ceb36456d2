/**
 * The automaton a template compiles to (Thompson's construction): states in parallel arrays, and
 * fragments with open exits that the builders below connect.
 */

import { MAX_TEMPLATE_STATES } from './template-limits.js';

/** Thrown by the automaton builder past `MAX_TEMPLATE_STATES`: building stops at once. */
export class TooComplex extends Error {}

/** State kinds: reads one character, branches without reading, accepts. */
export const CHAR = 0;
export const SPLIT = 1;
export const MATCH = 2;

/** What one character step accepts: a code unit predicate. */
export type Test = (c: number) => boolean;

/** A non-deterministic automaton under construction, as parallel arrays of states. */
export class Nfa {
  kind: number[] = [];
  test: (Test | undefined)[] = [];
  out1: number[] = [];
  out2: number[] = [];
  /** Code units past ASCII that literals test for; every other one behaves alike. */
  readonly wide = new Set<number>();

  add(kind: number, test?: Test): number {
    if (this.kind.length >= MAX_TEMPLATE_STATES) throw new TooComplex();
    this.kind.push(kind);
    this.test.push(test);
    this.out1.push(-1);
    this.out2.push(-1);
    return this.kind.length - 1;
  }

  get size(): number {
    return this.kind.length;
  }
}

/** A piece of automaton under construction: its entry state and the exits still to connect. */
export interface Frag {
  start: number;
  /** Exits as [state, which] pairs: which 1 is out1, 2 is out2. */
  outs: Array<[number, 1 | 2]>;
}

export function patch(nfa: Nfa, outs: Array<[number, 1 | 2]>, to: number): void {
  for (const [s, which] of outs) {
    if (which === 1) nfa.out1[s] = to;
    else nfa.out2[s] = to;
  }
}

export function cls(nfa: Nfa, test: Test): Frag {
  const s = nfa.add(CHAR, test);
  return { start: s, outs: [[s, 1]] };
}

export function seq(nfa: Nfa, parts: Frag[]): Frag {
  if (parts.length === 0) return empty(nfa);
  const first = parts[0] as Frag;
  let outs = first.outs;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as Frag;
    patch(nfa, outs, p.start);
    outs = p.outs;
  }
  return { start: first.start, outs };
}

function empty(nfa: Nfa): Frag {
  // A split whose both exits lead on: matches the empty string.
  const s = nfa.add(SPLIT);
  return { start: s, outs: [[s, 1]] };
}

export function alt(nfa: Nfa, a: Frag, b: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  nfa.out2[s] = b.start;
  return { start: s, outs: [...a.outs, ...b.outs] };
}

export function alts(nfa: Nfa, frags: Frag[]): Frag {
  let f = frags[0] as Frag;
  for (let i = 1; i < frags.length; i++) f = alt(nfa, f, frags[i] as Frag);
  return f;
}

export function opt(nfa: Nfa, a: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  return { start: s, outs: [...a.outs, [s, 2]] };
}

export function star(nfa: Nfa, a: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  patch(nfa, a.outs, s);
  return { start: s, outs: [[s, 2]] };
}

export function lit(nfa: Nfa, text: string): Frag {
  const parts: Frag[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) nfa.wide.add(code);
    parts.push(cls(nfa, (c) => c === code));
  }
  return seq(nfa, parts);
}
