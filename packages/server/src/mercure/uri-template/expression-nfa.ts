import { isHex, isReserved, isUnreserved } from './char-classes.js';
import { alt, alts, cls, type Frag, lit, type Nfa, opt, seq, star } from './nfa.js';
import type { OpInfo, VarSpec } from './parse-expression.js';

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

/** The automaton of one expression. */
export function expressionFrag(nfa: Nfa, op: OpInfo, vars: readonly VarSpec[]): Frag {
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
