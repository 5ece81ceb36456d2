/** Exit codes of the `tidings` command. */
export const EXIT = {
  ok: 0,
  /** The hub refused the request (4xx/5xx), or a runtime failure. */
  failed: 1,
  /** Bad command line: unknown flag, missing argument, malformed value. */
  usage: 2,
  /** The hub could not be reached. */
  unreachable: 3,
} as const;

/** A mistake on the command line; printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
