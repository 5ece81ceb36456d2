import { HubError } from '../core/errors.js';
import type { Rate } from './token-bucket.js';

/**
 * Abuse limits of a hub. On by default when auth is configured; each can be raised or turned off
 * (`false`). Requests past a limit get `429` (or `400` for pattern complexity) with a JSON error
 * naming the option.
 */
export interface LimitOptions {
  /**
   * Open streams per user, a user being the pair (tenant, `sub`): the same `sub` in two tenants
   * has two quotas. One more gets `429 too-many-connections`. Counted for the whole hub when its
   * processes share `limitCounters`.
   * @defaultValue 32
   */
  connectionsPerUser?: number | false | undefined;
  /**
   * Open streams per client address; one more gets `429 too-many-connections`. Behind a reverse
   * proxy every client shares the proxy's address: raise this or turn it off there.
   * @defaultValue 256
   */
  connectionsPerIp?: number | false | undefined;
  /**
   * Most wildcard segments (`*`, `**`) in one subscription pattern; more get
   * `400 pattern-too-complex`. Each `*` multiplies the work of matching every event.
   * @defaultValue 4
   */
  maxPatternWildcards?: number | false | undefined;
  /**
   * Events per second each token-holding or anonymous publisher may publish (token bucket, per
   * (tenant, `sub`), else per address); past it `429 rate-limited` with `Retry-After`.
   * @defaultValue `{ perSecond: 50, burst: 200 }`
   */
  publishRate?: Rate | false | undefined;
  /** The same for the publisher key (your backend). @defaultValue false (unlimited) */
  publisherKeyRate?: Rate | false | undefined;
}

/** {@link LimitOptions} with defaults filled in; `undefined` means off. */
export interface ResolvedLimits {
  connectionsPerUser: number | undefined;
  connectionsPerIp: number | undefined;
  maxPatternWildcards: number | undefined;
  publishRate: Rate | undefined;
  publisherKeyRate: Rate | undefined;
}

/** Every limit off: what a hub without auth and without a `limits` option runs with. */
export const NO_LIMITS: ResolvedLimits = {
  connectionsPerUser: undefined,
  connectionsPerIp: undefined,
  maxPatternWildcards: undefined,
  publishRate: undefined,
  publisherKeyRate: undefined,
};

function count(name: string, v: number | false | undefined, dflt: number): number | undefined {
  if (v === false) return undefined;
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`Limit ${name} must be a positive integer or false, not ${v}.`);
  }
  return v;
}

function rate(name: string, v: Rate | false | undefined, dflt: Rate | undefined): Rate | undefined {
  if (v === false) return undefined;
  const r = v ?? dflt;
  if (r === undefined) return undefined;
  if (!(r.perSecond > 0) || !Number.isFinite(r.perSecond) || !Number.isInteger(r.burst) || r.burst <= 0) {
    throw new RangeError(`Limit ${name} needs a positive perSecond and a positive integer burst.`);
  }
  return r;
}

/**
 * Fills in defaults and checks ranges.
 * @throws {RangeError} naming the limit when a value is out of range.
 */
export function resolveLimits(o: LimitOptions = {}): ResolvedLimits {
  return {
    connectionsPerUser: count('connectionsPerUser', o.connectionsPerUser, 32),
    connectionsPerIp: count('connectionsPerIp', o.connectionsPerIp, 256),
    maxPatternWildcards: count('maxPatternWildcards', o.maxPatternWildcards, 4),
    publishRate: rate('publishRate', o.publishRate, { perSecond: 50, burst: 200 }),
    publisherKeyRate: rate('publisherKeyRate', o.publisherKeyRate, undefined),
  };
}

/**
 * Refuses a pattern with more than `max` wildcard segments.
 * @throws HubError 400 `pattern-too-complex` naming the pattern and the limit.
 */
export function checkPatternComplexity(patterns: readonly string[], max: number): void {
  for (const p of patterns) {
    let n = 0;
    for (const s of p.split('/')) if (s === '*' || s === '**') n++;
    if (n > max) {
      throw new HubError(
        400,
        'pattern-too-complex',
        `The pattern "${p}" has ${n} wildcard segments; the limit is ${max}. Name more segments, or subscribe to several simpler patterns.`,
        { topic: p, limit: max, option: 'maxPatternWildcards' },
      );
    }
  }
}
