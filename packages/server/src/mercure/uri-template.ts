/**
 * Matching strings against RFC 6570 URI templates, in time linear in the string.
 *
 * Mercure subscribers choose their templates, so a matcher that backtracks (a regular expression,
 * or a recursive search over split points) lets one anonymous subscriber stall the hub with a
 * template such as `x{a}{b}{c}{d}{e}!`. Here a template compiles to a small non-deterministic
 * automaton that is simulated state-set by state-set: every character of the string is looked at
 * once, whatever the template.
 *
 * A string matches when some values of the variables expand the template to exactly that string
 * (RFC 6570 section 3). The automaton accepts a slight superset in one place, which does not change
 * what reasonable templates match: an exploded variable's items, and the items of a list or map
 * value, are checked for their characters only (a prefix modifier's length is not checked either).
 * Characters outside ASCII count as unreserved, since Mercure topics are IRIs (RFC 3987), whose
 * unreserved set includes them.
 */

/** A compiled template. */
export interface UriTemplate {
  /** The template as written. */
  readonly source: string;
  /** The literal text before the first expression (every match starts with it). */
  readonly prefix: string;
  /** Whether `s` is an expansion of the template. */
  matches(s: string): boolean;
}

/** Why a string is not a URI template, or not one the hub accepts. */
export interface TemplateError {
  /** A clause that completes "The selector … is not accepted: …". */
  readonly message: string;
  /**
   * Set when the string is a template but over one of the limits below (the number it broke);
   * absent when it is no template at all (a Mercure selector that is then matched exactly).
   */
  readonly limit?: number;
}

/**
 * Longest template, in characters. Real ones are URLs of a few dozen; the bound keeps the
 * parse cheap before any automaton is built.
 */
export const MAX_TEMPLATE_LENGTH = 1024;

/** Most variables in one expression (`{?a,b,c}` has three; RFC 6570's examples have up to four). */
export const MAX_TEMPLATE_VARIABLES = 8;

/** Most expressions in one template (real templates have one to three). */
export const MAX_TEMPLATE_EXPRESSIONS = 16;

/**
 * Most automaton states a template may compile to. Compiling stops as soon as it is passed, so
 * refusing costs no more than accepting; matching looks at each character of a topic once (see
 * {@link compileUriTemplate}), and a cache miss costs at most this many steps.
 */
export const MAX_TEMPLATE_STATES = 1024;

/** Thrown by the automaton builder past `MAX_TEMPLATE_STATES`: building stops at once. */
class TooComplex extends Error {}

// ---- the automaton --------------------------------------------------------------------------

const CHAR = 0;
const SPLIT = 1;
const MATCH = 2;

/** What one character step accepts: a code unit predicate. */
type Test = (c: number) => boolean;

class Nfa {
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
interface Frag {
  start: number;
  /** Exits as [state, which] pairs: which 1 is out1, 2 is out2. */
  outs: Array<[number, 1 | 2]>;
}

function patch(nfa: Nfa, outs: Array<[number, 1 | 2]>, to: number): void {
  for (const [s, which] of outs) {
    if (which === 1) nfa.out1[s] = to;
    else nfa.out2[s] = to;
  }
}

function cls(nfa: Nfa, test: Test): Frag {
  const s = nfa.add(CHAR, test);
  return { start: s, outs: [[s, 1]] };
}

function seq(nfa: Nfa, parts: Frag[]): Frag {
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

function alt(nfa: Nfa, a: Frag, b: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  nfa.out2[s] = b.start;
  return { start: s, outs: [...a.outs, ...b.outs] };
}

function alts(nfa: Nfa, frags: Frag[]): Frag {
  let f = frags[0] as Frag;
  for (let i = 1; i < frags.length; i++) f = alt(nfa, f, frags[i] as Frag);
  return f;
}

function opt(nfa: Nfa, a: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  return { start: s, outs: [...a.outs, [s, 2]] };
}

function star(nfa: Nfa, a: Frag): Frag {
  const s = nfa.add(SPLIT);
  nfa.out1[s] = a.start;
  patch(nfa, a.outs, s);
  return { start: s, outs: [[s, 2]] };
}

function lit(nfa: Nfa, text: string): Frag {
  const parts: Frag[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) nfa.wide.add(code);
    parts.push(cls(nfa, (c) => c === code));
  }
  return seq(nfa, parts);
}

// ---- character classes (RFC 6570 section 1.5, RFC 3986) ------------------------------------

const isAlnum = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~", plus the IRI's non-ASCII characters. */
const isUnreserved = (c: number) =>
  isAlnum(c) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c >= 0x80;
const RESERVED = new Set([...":/?#[]@!$&'()*+,;="].map((ch) => ch.charCodeAt(0)));
const isReserved = (c: number) => RESERVED.has(c);

/** One value character: allowed characters, or a percent-encoded octet. */
function valueChar(nfa: Nfa, allowReserved: boolean): Frag {
  const plain = cls(nfa, allowReserved ? (c) => isUnreserved(c) || isReserved(c) : isUnreserved);
  const pct = seq(nfa, [lit(nfa, '%'), cls(nfa, isHex), cls(nfa, isHex)]);
  return alt(nfa, plain, pct);
}

/** Zero or more value characters, plus any of `extra` (such as the list separator ","). */
function valueRun(nfa: Nfa, allowReserved: boolean, extra: string): Frag {
  const pieces = [valueChar(nfa, allowReserved)];
  for (const ch of extra) pieces.push(lit(nfa, ch));
  return star(nfa, alts(nfa, pieces));
}

// ---- template parsing ---------------------------------------------------------------------

interface VarSpec {
  readonly name: string;
  readonly explode: boolean;
}

interface OpInfo {
  readonly first: string;
  readonly sep: string;
  readonly named: boolean;
  /** What a named variable with an empty value expands to after its name. */
  readonly ifEmpty: string;
  readonly allowReserved: boolean;
}

const OPS: Readonly<Record<string, OpInfo>> = {
  '': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: false },
  '+': { first: '', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '#': { first: '#', sep: ',', named: false, ifEmpty: '', allowReserved: true },
  '.': { first: '.', sep: '.', named: false, ifEmpty: '', allowReserved: false },
  '/': { first: '/', sep: '/', named: false, ifEmpty: '', allowReserved: false },
  ';': { first: ';', sep: ';', named: true, ifEmpty: '', allowReserved: false },
  '?': { first: '?', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
  '&': { first: '&', sep: '&', named: true, ifEmpty: '=', allowReserved: false },
};

const VARNAME = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+(?:\.(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+)*$/;

/** Characters a template may hold outside expressions (RFC 6570 `literals`, pct-encoded aside). */
function isLiteralChar(c: number): boolean {
  if (c >= 0x80) return true; // ucschar / iprivate
  if (c <= 0x20 || c === 0x7f) return false;
  // Excluded by the grammar: " ' < > \ ^ ` { | } (the braces are handled by the caller).
  return !'"\'<>\\^`{|}'.includes(String.fromCharCode(c));
}

function parseExpression(body: string): { op: OpInfo; vars: VarSpec[] } | TemplateError {
  let op = OPS[''] as OpInfo;
  let rest = body;
  const c = body[0];
  if (c !== undefined && c in OPS && c !== '') {
    op = OPS[c] as OpInfo;
    rest = body.slice(1);
  } else if (c !== undefined && '=,!@|'.includes(c)) {
    return { message: `the operator "${c}" in {${body}} is reserved by RFC 6570 for future use` };
  }
  if (rest.length === 0) return { message: `the expression {${body}} names no variable` };
  const specs = rest.split(',');
  if (specs.length > MAX_TEMPLATE_VARIABLES) {
    return {
      message: `the expression {${body.slice(0, 40)}…} has ${specs.length} variables, and the limit is ${MAX_TEMPLATE_VARIABLES}`,
      limit: MAX_TEMPLATE_VARIABLES,
    };
  }
  const vars: VarSpec[] = [];
  for (const spec of specs) {
    let name = spec;
    let explode = false;
    if (name.endsWith('*')) {
      explode = true;
      name = name.slice(0, -1);
    } else {
      const colon = name.indexOf(':');
      if (colon >= 0) {
        const len = name.slice(colon + 1);
        if (!/^[1-9][0-9]{0,3}$/.test(len)) {
          return { message: `the prefix length in {${body}} must be a number from 1 to 9999` };
        }
        name = name.slice(0, colon);
      }
    }
    if (!VARNAME.test(name)) return { message: `"${name}" in {${body}} is not a valid variable name` };
    vars.push({ name, explode });
  }
  return { op, vars };
}

/** The automaton of one expression. */
function expressionFrag(nfa: Nfa, op: OpInfo, vars: readonly VarSpec[]): Frag {
  const r = op.allowReserved;
  const item = (v: VarSpec): Frag => {
    if (v.explode) {
      // Items joined by the separator; each item is a value, `name=value` or `key=value`.
      const one = () => valueRun(nfa, r, '=');
      return seq(nfa, [one(), star(nfa, seq(nfa, [lit(nfa, op.sep), one()]))]);
    }
    // A string, or a list / map joined with ",".
    const value = () => valueRun(nfa, r, ',');
    if (!op.named) return value();
    const withValue = seq(nfa, [lit(nfa, `${v.name}=`), value()]);
    // `;` writes a bare name for an empty value; `?` and `&` write `name=`, which withValue covers.
    return op.ifEmpty === '' ? alt(nfa, withValue, lit(nfa, v.name)) : withValue;
  };
  // The defined variables, in order, each at most once: `first`, the first defined one, then each
  // later one optionally, after the separator. Nothing at all when every variable is undefined.
  const choices = vars.map((v, i) =>
    seq(nfa, [
      lit(nfa, op.first),
      item(v),
      ...vars.slice(i + 1).map((w) => opt(nfa, seq(nfa, [lit(nfa, op.sep), item(w)]))),
    ]),
  );
  return opt(nfa, alts(nfa, choices));
}

/**
 * Compiles a URI template.
 *
 * Cost is bounded before the work is done: the length, the variables of each expression and the
 * number of expressions are checked while parsing, and building the automaton stops at
 * `MAX_TEMPLATE_STATES`. Matching runs a lazily built deterministic automaton: each
 * character of the string is one table look-up once that step has been seen, and at most one
 * step of the state-set simulation (bounded by the state count) when it has not.
 * @returns the matcher, or a {@link TemplateError}: without `limit` when `source` is not an RFC
 *   6570 template (unbalanced braces, a bad operator or variable name, characters templates
 *   cannot hold), with `limit` when it is over one of the limits above.
 */
export function compileUriTemplate(source: string): UriTemplate | TemplateError {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    return {
      message: `it is ${source.length} characters long, and templates may have at most ${MAX_TEMPLATE_LENGTH}`,
      limit: MAX_TEMPLATE_LENGTH,
    };
  }
  try {
    return compile(source);
  } catch (e) {
    if (!(e instanceof TooComplex)) throw e;
    return {
      message: `it compiles to more than ${MAX_TEMPLATE_STATES} automaton states; use fewer or simpler expressions`,
      limit: MAX_TEMPLATE_STATES,
    };
  }
}

function compile(source: string): UriTemplate | TemplateError {
  const nfa = new Nfa();
  const parts: Frag[] = [];
  let prefix: string | undefined;
  let literal = '';
  let expressions = 0;
  let i = 0;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === 0x7b /* { */) {
      const close = source.indexOf('}', i + 1);
      if (close < 0) return { message: 'it has a "{" without a matching "}"' };
      const body = source.slice(i + 1, close);
      if (body.includes('{')) return { message: 'it has a "{" inside an expression' };
      const parsed = parseExpression(body);
      if ('message' in parsed) return parsed;
      if (++expressions > MAX_TEMPLATE_EXPRESSIONS) {
        return {
          message: `it has more than ${MAX_TEMPLATE_EXPRESSIONS} expressions`,
          limit: MAX_TEMPLATE_EXPRESSIONS,
        };
      }
      if (literal) parts.push(lit(nfa, literal));
      prefix ??= literal;
      literal = '';
      parts.push(expressionFrag(nfa, parsed.op, parsed.vars));
      i = close + 1;
      continue;
    }
    if (c === 0x7d /* } */) return { message: 'it has a "}" without a matching "{"' };
    if (c === 0x25 /* % */) {
      if (!isHex(source.charCodeAt(i + 1)) || !isHex(source.charCodeAt(i + 2))) {
        return { message: 'it has a "%" that does not start a percent-encoded octet' };
      }
      literal += source.slice(i, i + 3);
      i += 3;
      continue;
    }
    if (!isLiteralChar(c)) {
      return {
        message: `it contains the character ${JSON.stringify(source[i])}, which templates cannot hold`,
      };
    }
    literal += source[i];
    i++;
  }
  if (literal) parts.push(lit(nfa, literal));
  prefix ??= literal;
  const whole = seq(nfa, parts);
  const accept = nfa.add(MATCH);
  patch(nfa, whole.outs, accept);
  const start = whole.start;
  const fixedPrefix = prefix;
  const run = simulator(nfa, start);
  return {
    source,
    prefix: fixedPrefix,
    matches: (s) => s.startsWith(fixedPrefix) && run(s),
  };
}

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
function simulator(nfa: Nfa, start: number): (s: string) => boolean {
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
