import { requireBuiltin } from '../core/node-builtins.js';

/**
 * Compares two secrets in time independent of where they differ: hashing both first equalises
 * their lengths, so neither the length nor a common prefix of the expected secret leaks.
 */
export function secretEquals(given: string, expected: string): boolean {
  const { createHash, timingSafeEqual } = requireBuiltin('node:crypto', 'Comparing a secret');
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
