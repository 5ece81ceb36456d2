import { UsageError } from './usage-error.js';

/** How `tidings serve` writes its logs: readable lines, or one JSON object per line. */
export type LogFormat = 'pretty' | 'json';

/**
 * Reads `--log-format`: `pretty` or `json`; without it, pretty when `stream` is a terminal (a
 * person reads it) and JSON otherwise (a file, a pipe, a log collector).
 * @throws UsageError for any other value.
 */
export function parseLogFormat(value: string | undefined, stream: { isTTY?: boolean }): LogFormat {
  if (value === undefined) return stream.isTTY === true ? 'pretty' : 'json';
  if (value === 'pretty' || value === 'json') return value;
  throw new UsageError(
    `--log-format is "pretty" or "json", not "${value}"; without it, logs are pretty on a terminal and JSON otherwise.`,
  );
}
