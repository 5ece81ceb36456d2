import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../../../../test/fuzz.js';
import {
  compileUriTemplate,
  MAX_TEMPLATE_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_STATES,
  MAX_TEMPLATE_VARIABLES,
  type UriTemplate,
} from './uri-template.js';

/**
 * Mercure templates: the matcher against a small reference (a regular expression built from the
 * same rules, fine for the short strings used here), expansions that must match, and cost: any
 * template compiles, or is refused, within a time budget, and matches 2 KB topics within one.
 */

const OPS = ['', '+', '#', '.', '/', ';', '?', '&'] as const;
const SEP: Record<string, string> = {
  '': ',',
  '+': ',',
  '#': ',',
  '.': '.',
  '/': '/',
  ';': ';',
  '?': '&',
  '&': '&',
};
const FIRST: Record<string, string> = {
  '': '',
  '+': '',
  '#': '#',
  '.': '.',
  '/': '/',
  ';': ';',
  '?': '?',
  '&': '&',
};

interface Expr {
  op: (typeof OPS)[number];
  vars: { name: string; explode: boolean }[];
}
type Part = string | Expr;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** The reference: the same language as a (backtracking) regular expression. */
function referenceRegex(parts: Part[]): RegExp {
  const value = (op: string, extra: string) => {
    const reserved = op === '+' || op === '#' ? esc(":/?#[]@!$&'()*+,;=") : '';
    return `(?:[A-Za-z0-9\\-._~\\u0080-\\uffff${reserved}${esc(extra)}]|%[0-9A-Fa-f]{2})*`;
  };
  const item = (e: Expr, v: Expr['vars'][number]) => {
    if (v.explode) {
      const one = value(e.op, '=');
      return `${one}(?:${esc(SEP[e.op] as string)}${one})*`;
    }
    const val = value(e.op, ',');
    if (e.op !== ';' && e.op !== '?' && e.op !== '&') return val;
    const withValue = `${esc(v.name)}=${val}`;
    return e.op === ';' ? `(?:${withValue}|${esc(v.name)})` : withValue;
  };
  let src = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      src += esc(p);
      continue;
    }
    const choices = p.vars.map(
      (v, i) =>
        `${esc(FIRST[p.op] as string)}${item(p, v)}${p.vars
          .slice(i + 1)
          .map((w) => `(?:${esc(SEP[p.op] as string)}${item(p, w)})?`)
          .join('')}`,
    );
    src += `(?:${choices.join('|')})?`;
  }
  return new RegExp(`^${src}$`);
}

const source = (parts: Part[]) =>
  parts
    .map((p) =>
      typeof p === 'string'
        ? p
        : `{${p.op}${p.vars.map((v) => `${v.name}${v.explode ? '*' : ''}`).join(',')}}`,
    )
    .join('');

const literal = fc.stringMatching(/^[a-z/:.;=?&#,-]{0,4}$/);
const expr: fc.Arbitrary<Expr> = fc.record({
  op: fc.constantFrom(...OPS),
  vars: fc.array(fc.record({ name: fc.constantFrom('a', 'b', 'id', 'x'), explode: fc.boolean() }), {
    minLength: 1,
    maxLength: 3,
  }),
});
const template = fc
  .array(fc.oneof(literal, expr), { minLength: 1, maxLength: 4 })
  .filter((ps) => ps.some((p) => typeof p !== 'string'));
/** Strings over the characters templates care about, short enough for the backtracking reference. */
const probe = fc.stringMatching(/^[a-z0-9/:.;=?&#,%A-F~é-]{0,14}$/);

/** Milliseconds of this process's CPU since `from`. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function compiled(src: string): UriTemplate {
  const t = compileUriTemplate(src);
  if ('message' in t) throw new Error(`${src}: ${t.message}`);
  return t;
}

describe('URI templates, fuzzed', () => {
  it('match exactly what the reference matches', () => {
    fc.assert(
      fc.property(template, fc.array(probe, { maxLength: 12 }), (parts, strings) => {
        const t = compiled(source(parts));
        const ref = referenceRegex(parts);
        // Twice: the second pass runs on the matcher's cached transitions.
        for (const s of [...strings, ...strings])
          expect(t.matches(s), `${t.source} ~ ${s}`).toBe(ref.test(s));
      }),
      fuzzParams(300, 0.5),
    );
  });

  it('match their own expansions', () => {
    const value = fc.stringMatching(/^[a-z0-9]{0,6}$/);
    fc.assert(
      fc.property(template, fc.array(value, { minLength: 12, maxLength: 12 }), (parts, values) => {
        let k = 0;
        const expanded = parts
          .map((p) => {
            if (typeof p === 'string') return p;
            const items = p.vars.map((v) => {
              const val = values[k++ % values.length] as string;
              const named = p.op === ';' || p.op === '?' || p.op === '&';
              if (!named) return val;
              return p.op === ';' && val === '' ? v.name : `${v.name}=${val}`;
            });
            return `${FIRST[p.op]}${items.join(SEP[p.op])}`;
          })
          .join('');
        expect(compiled(source(parts)).matches(expanded), `${source(parts)} ~ ${expanded}`).toBe(true);
      }),
      fuzzParams(300, 0.5),
    );
  });

  it('never throw, whatever the string', () => {
    const chars = fc.constantFrom(...'{}+#./;?&=,*:%aZ09 \u00e9'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 60 }), (cs) => {
        const t = compileUriTemplate(cs.join(''));
        if (!('message' in t)) t.matches(cs.join(''));
      }),
      fuzzParams(500, 1),
    );
  });

  it('compile or refuse, and match 2 KB topics, within a time budget', () => {
    // Templates at and past every limit: long names, many variables and expressions, explodes.
    const name = fc.stringMatching(/^[a-z_]{1,24}$/);
    const bigExpr = fc.record({
      op: fc.constantFrom(...OPS),
      vars: fc.array(fc.record({ name, explode: fc.boolean() }), {
        minLength: 1,
        maxLength: MAX_TEMPLATE_VARIABLES + 2,
      }),
    });
    const big = fc.array(fc.oneof(fc.stringMatching(/^[a-z/;?=&.]{0,8}$/), bigExpr), {
      minLength: 1,
      maxLength: MAX_TEMPLATE_EXPRESSIONS + 2,
    });
    const topicChar = fc.constantFrom(...'a/;=?&.,#%20xé'.split(''));
    const topic = fc.array(topicChar, { minLength: 2000, maxLength: 2048 }).map((a) => a.join(''));
    fc.assert(
      fc.property(big, fc.array(topic, { minLength: 1, maxLength: 3 }), (parts, topics) => {
        const src = source(parts);
        // CPU time, not wall time: the machine is shared, and a descheduled test is not slow.
        const t0 = process.cpuUsage();
        const t = compileUriTemplate(src);
        const compiledIn = cpuMs(t0);
        if ('message' in t) {
          expect(t.limit, t.message).toBeGreaterThan(0);
        } else {
          for (const s of topics) t.matches(s);
        }
        const total = cpuMs(t0);
        // Generous (a GC pause counts too): the unbounded versions took 1.5 s and 76 ms per match.
        expect(compiledIn, `compiling ${src.slice(0, 80)}`).toBeLessThan(100);
        expect(total, `compiling and matching ${src.slice(0, 80)}`).toBeLessThan(200);
      }),
      fuzzParams(60, 0.02),
    );
  });

  it('refuse the template bombs quickly, naming the limit', () => {
    const vars = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).join(',');
    const bombs: [string, number][] = [
      [`{${vars(1024)}}`.slice(0, 2048), MAX_TEMPLATE_LENGTH],
      [`x{${vars(200)}}`, MAX_TEMPLATE_VARIABLES],
      [`x{;${vars(MAX_TEMPLATE_VARIABLES + 1)}}`, MAX_TEMPLATE_VARIABLES],
      [`x${'{a}'.repeat(MAX_TEMPLATE_EXPRESSIONS + 1)}`, MAX_TEMPLATE_EXPRESSIONS],
      [`x${`{;${vars(MAX_TEMPLATE_VARIABLES)}}`.repeat(6)}`, MAX_TEMPLATE_STATES],
    ];
    for (const [src, limit] of bombs) {
      const t = compileUriTemplate(src);
      expect('message' in t && t.limit, src.slice(0, 40)).toBe(limit);
    }
  });
});
