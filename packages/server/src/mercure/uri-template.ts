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

import { isHex, isLiteralChar } from './uri-template/char-classes.js';
import { expressionFrag } from './uri-template/expression-nfa.js';
import { lazyDfa } from './uri-template/lazy-dfa.js';
import { type Frag, lit, MATCH, Nfa, patch, seq, TooComplex } from './uri-template/nfa.js';
import { parseExpression } from './uri-template/parse-expression.js';
import type { TemplateError } from './uri-template/template-error.js';
import {
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_STATES,
} from './uri-template/template-limits.js';

export type { TemplateError } from './uri-template/template-error.js';
// The limits are part of what compileUriTemplate promises its callers.
export {
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_STATES,
  MAX_TEMPLATE_VARIABLES,
} from './uri-template/template-limits.js';

/** A compiled template. */
export interface UriTemplate {
  /** The template as written. */
  readonly source: string;
  /** The literal text before the first expression (every match starts with it). */
  readonly prefix: string;
  /** Whether `s` is an expansion of the template. */
  matches(s: string): boolean;
}

/**
 * Compiles a URI template.
 *
 * Cost is bounded before the work is done: the length, the variables of each expression and the
 * number of expressions are checked while parsing, and building the automaton stops at
 * `MAX_TEMPLATE_STATES` (the limits are in `uri-template/template-limits.ts`). Matching runs a
 * lazily built deterministic automaton: each character of the string is one table look-up once
 * that step has been seen, and at most one step of the state-set simulation (bounded by the state
 * count) when it has not.
 * @returns the matcher, or a {@link TemplateError}: without `limit` when `source` is not an RFC
 *   6570 template (unbalanced braces, a bad operator or variable name, characters templates
 *   cannot hold), with `limit` when it is over one of those limits.
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
  const run = lazyDfa(nfa, start);
  return {
    source,
    prefix: fixedPrefix,
    matches: (s) => s.startsWith(fixedPrefix) && run(s),
  };
}
