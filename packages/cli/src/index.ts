/**
 * `@tidings/cli`: the `tidings` command as a library, for embedding and tests.
 * @packageDocumentation
 */
export { main, USAGE } from './main.js';
export { parseBytes, parseDuration } from './parse-values.js';
export { EXIT, UsageError } from './usage-error.js';
