/** A refill rate and a burst size. */
export interface Rate {
  /** Tokens added per second (sustained rate). */
  readonly perSecond: number;
  /** Bucket size: how many may be taken at once after a quiet spell. */
  readonly burst: number;
}

/** @throws {RangeError} naming the field when `rate` is unusable. */
export function checkRate(rate: Rate): void {
  if (!(rate.perSecond > 0) || !Number.isFinite(rate.perSecond)) {
    throw new RangeError(`A rate limit needs a positive perSecond, not ${rate.perSecond}.`);
  }
  if (!Number.isInteger(rate.burst) || rate.burst <= 0) {
    throw new RangeError(`A rate limit needs a positive integer burst, not ${rate.burst}.`);
  }
}
