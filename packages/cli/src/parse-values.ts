import { UsageError } from './usage-error.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration flag: a number with a unit, `500ms`, `15s`, `10m`, `24h` or `7d` (a decimal
 * such as `1.5s` works too). A number without a unit is refused, as `5` could mean 5 ms, 5 s or
 * 5 min; only `0` needs none, and it is refused anyway because every duration flag must be longer
 * than zero.
 * @param flag the flag's name without dashes, for the message.
 * @returns the duration in milliseconds (rounded).
 * @throws UsageError (exit code 2) naming the flag: for a bare number (`--retention-age 5 is
 *   ambiguous: write 5s, 5m or 5ms…`), an unknown unit, or a duration of zero.
 */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  const m = DURATION.exec(v);
  if (!m) {
    throw new UsageError(
      `--${flag} takes a duration with a unit (ms, s, m, h or d) such as 500ms, 15s, 10m or 24h; got "${value}".`,
    );
  }
  const [, amount = '', unit] = m;
  if (unit === undefined && Number(amount) !== 0) {
    throw new UsageError(
      `--${flag} ${v} is ambiguous: write ${amount}s, ${amount}m or ${amount}ms (a duration needs a unit: ms, s, m, h or d).`,
    );
  }
  const ms = Math.round(Number(amount) * (UNITS[unit ?? 'ms'] ?? 1));
  if (ms <= 0) throw new UsageError(`--${flag} must be longer than zero, e.g. 1s; got "${value}".`);
  return ms;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses `65536`, `64KiB`, `64k`, `1MiB`, `1mb`. */
export function parseBytes(flag: string, value: string): number {
  const m = SIZE.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} takes a size such as 65536, 64KiB or 1MiB; got "${value}".`);
  const n = Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1));
  if (n <= 0) throw new UsageError(`--${flag} must be larger than zero; got "${value}".`);
  return n;
}

/** Parses a positive integer. */
export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${flag} takes a positive whole number; got "${value}".`);
  }
  return n;
}

/** Parses a TCP port (0 picks a free one). */
export function parsePort(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) {
    throw new UsageError(`--${flag} takes a port number from 0 to 65535; got "${value}".`);
  }
  return n;
}

/** Parses a hub base URL (`http://host:port`, optionally with a path). */
export function parseHubUrl(value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--url takes the hub's address such as http://127.0.0.1:8080; got "${value}".`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`--url must start with http:// or https://; got "${value}".`);
  }
  return u;
}
