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

/** Why a string is not a URI template. */
export interface TemplateError {
  readonly message: string;
}

/** Most automaton states a template may compile to (keeps each match cheap). */
export const MAX_TEMPLATE_STATES = 4096;

/** Most expressions in one template (real templates have one to three). */
export const MAX_TEMPLATE_EXPRESSIONS = 16;

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

  add(kind: number, test?: Test): number {
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
  const vars: VarSpec[] = [];
  for (const spec of rest.split(',')) {
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
 * @returns the matcher, or a {@link TemplateError} when `source` is not an RFC 6570 template
 *   (unbalanced braces, a bad operator or variable name, characters templates cannot hold).
 */
export function compileUriTemplate(source: string): UriTemplate | TemplateError {
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
        return { message: `it has more than ${MAX_TEMPLATE_EXPRESSIONS} expressions` };
      }
      if (literal) parts.push(lit(nfa, literal));
      prefix ??= literal;
      literal = '';
      parts.push(expressionFrag(nfa, parsed.op, parsed.vars));
      i = close + 1;
      if (nfa.size > MAX_TEMPLATE_STATES) return { message: 'it is too complex' };
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
  if (nfa.size > MAX_TEMPLATE_STATES) return { message: 'it is too complex' };
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

/** Builds the state-set simulation of an automaton. */
function simulator(nfa: Nfa, start: number): (s: string) => boolean {
  const n = nfa.size;
  const kind = Int8Array.from(nfa.kind);
  const out1 = Int32Array.from(nfa.out1);
  const out2 = Int32Array.from(nfa.out2);
  const tests = nfa.test;
  // Reused between calls: matching runs synchronously, one string at a time.
  let cur = new Int32Array(n);
  let next = new Int32Array(n);
  const seen = new Uint32Array(n);
  const stack = new Int32Array(n);
  let gen = 0;

  /** Adds `s` and every state reachable from it without reading a character. */
  function close(set: Int32Array, count: number, s: number): number {
    let sp = 0;
    stack[sp++] = s;
    while (sp > 0) {
      const t = stack[--sp] as number;
      if (t < 0 || seen[t] === gen) continue;
      seen[t] = gen;
      if (kind[t] === SPLIT) {
        // out2 first so out1 is explored first (order does not change the result).
        stack[sp++] = out2[t] as number;
        stack[sp++] = out1[t] as number;
      } else {
        set[count++] = t;
      }
    }
    return count;
  }

  return (s: string) => {
    gen = (gen + 1) >>> 0 || 1;
    if (gen === 1) seen.fill(0);
    let count = close(cur, 0, start);
    for (let i = 0; i < s.length && count > 0; i++) {
      const c = s.charCodeAt(i);
      gen = (gen + 1) >>> 0 || 1;
      if (gen === 1) seen.fill(0);
      let nextCount = 0;
      for (let k = 0; k < count; k++) {
        const t = cur[k] as number;
        if (kind[t] === CHAR && (tests[t] as Test)(c)) nextCount = close(next, nextCount, out1[t] as number);
      }
      const swap = cur;
      cur = next;
      next = swap;
      count = nextCount;
    }
    for (let k = 0; k < count; k++) if (kind[cur[k] as number] === MATCH) return true;
    return false;
  };
}
