/** How the client spaces out reconnection attempts. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms, until the hub announces its own `retry:`. @defaultValue 1000 */
  initialMs?: number | undefined;
  /** Growth of the ceiling per consecutive failure. @defaultValue 2 */
  multiplier?: number | undefined;
  /** Largest ceiling, in ms (a larger `retry:` from the hub still wins). @defaultValue 30000 */
  maxMs?: number | undefined;
  /**
   * Largest ceiling early in an outage, in ms. Most outages are a hub restart or a deploy of a few
   * seconds to a minute: keeping retries within a few seconds brings clients back within
   * `earlyMaxMs` of the hub's return, while full jitter still spreads them over that window. The
   * cap then grows with the outage (see `rampMs`) up to `maxMs`. Set it to `maxMs` for a plain
   * exponential schedule.
   * @defaultValue 3000
   */
  earlyMaxMs?: number | undefined;
  /**
   * How long an outage lasts before delays may reach `maxMs`: the cap is
   * `max(earlyMaxMs, maxMs × outage / rampMs)`, so with the defaults it stays 3 s for the first
   * 30 s, is 6 s after a minute and 30 s after five. The outage runs from the first failed
   * attempt until a connection stays up for `resetAfterMs`.
   * @defaultValue 300000
   */
  rampMs?: number | undefined;
  /**
   * Consecutive failed attempts after which the client gives up and goes to `error`.
   * `0` never retries.
   * @defaultValue Infinity
   */
  maxAttempts?: number | undefined;
  /**
   * Full jitter: each delay is uniformly random between 0 and the ceiling, so that thousands of
   * clients dropped at once by a restarting hub do not return at once. `false` waits exactly the
   * ceiling.
   * @defaultValue true
   */
  jitter?: boolean | undefined;
  /**
   * How long a connection must stay up before the failure count resets to 0. A hub that accepts
   * and at once drops connections is thereby still backed off.
   * @defaultValue 5000
   */
  resetAfterMs?: number | undefined;
}

/** {@link BackoffOptions} with every default filled in. */
export type ResolvedBackoff = {
  readonly [K in keyof BackoffOptions]-?: Exclude<BackoffOptions[K], undefined>;
};

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: ResolvedBackoff = {
  initialMs: 1000,
  multiplier: 2,
  maxMs: 30_000,
  earlyMaxMs: 3000,
  rampMs: 300_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  jitter: true,
  resetAfterMs: 5000,
};

/**
 * The ceiling of the delay before retry number `attempt` (1 for the first retry): the base
 * times `multiplier^(attempt-1)`, capped at `maxMs`. The base is the hub's last `retry:` when it
 * sent one, else `initialMs`; the cap never cuts below the hub's `retry:`. Given `outageMs`
 * (how long the client has been failing), the cap is also at most
 * `max(earlyMaxMs, maxMs × outageMs / rampMs)`, so a short outage keeps retries frequent.
 * @example
 * ```ts
 * backoffCeiling(5, DEFAULT_BACKOFF, 3000, 20_000); // 3000: a hub restart of 20 s
 * backoffCeiling(9, DEFAULT_BACKOFF, 3000, 120_000); // 12000: two minutes into an outage
 * ```
 */
export function backoffCeiling(
  attempt: number,
  b: ResolvedBackoff,
  serverRetryMs?: number,
  outageMs?: number,
): number {
  const base = serverRetryMs ?? b.initialMs;
  const grown = outageMs === undefined ? b.maxMs : Math.max(b.earlyMaxMs, (b.maxMs * outageMs) / b.rampMs);
  const cap = Math.max(Math.min(b.maxMs, grown), base);
  const exp = base * b.multiplier ** Math.max(0, attempt - 1);
  return Math.min(cap, Number.isFinite(exp) ? exp : cap);
}

/**
 * The delay before retry number `attempt`, `outageMs` into an outage: uniformly random in `[0, ceiling)` with jitter,
 * exactly the ceiling without.
 * @see backoffCeiling
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ (full jitter)
 */
export function backoffDelay(
  attempt: number,
  b: ResolvedBackoff,
  serverRetryMs: number | undefined,
  random: () => number,
  outageMs?: number,
): number {
  const ceiling = backoffCeiling(attempt, b, serverRetryMs, outageMs);
  return b.jitter ? Math.floor(random() * ceiling) : ceiling;
}
