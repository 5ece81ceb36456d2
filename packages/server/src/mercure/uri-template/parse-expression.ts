import type { TemplateError } from './template-error.js';
import { MAX_TEMPLATE_VARIABLES } from './template-limits.js';

/** One variable of an expression: `name`, `name*` (exploded) or `name:3` (a prefix). */
export interface VarSpec {
  readonly name: string;
  readonly explode: boolean;
}

/** How an expression operator (`+`, `#`, `.`, `/`, `;`, `?`, `&` or none) expands. */
export interface OpInfo {
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

/**
 * Parses the body of one expression (the text between the braces).
 * @returns its operator and variables, or a {@link TemplateError}: without `limit` for a reserved
 *   operator, no variable, a bad prefix length or variable name; with it past
 *   `MAX_TEMPLATE_VARIABLES`.
 */
export function parseExpression(body: string): { op: OpInfo; vars: VarSpec[] } | TemplateError {
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
