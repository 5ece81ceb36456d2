/** Bounds on what a Mercure subscriber's template may cost, checked while it is compiled. */

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
 * `compileUriTemplate`), and a cache miss costs at most this many steps.
 */
export const MAX_TEMPLATE_STATES = 1024;
