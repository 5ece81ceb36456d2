/**
 * History positions. Every stored event has a position: one or more decimal-digit segments joined
 * by `-`. A single-node SQLite or memory store uses one segment (`"1042"`); a Redis stream id has two
 * (`"1732262400000-3"`). Positions of one store are strictly increasing in publish order.
 */

const POSITION = /^\d+(?:-\d+)*$/;

/** Whether `s` has the shape of a position. */
export function isPosition(s: string): boolean {
  return POSITION.test(s);
}

function compareDigits(a: string, b: string): number {
  // Strip leading zeros so "007" equals "7"; then longer means larger.
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (let k = 0; k < la; k++) {
    const ca = a.charCodeAt(i + k);
    const cb = b.charCodeAt(j + k);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

/**
 * Orders two positions segment by segment, numerically and without overflow.
 * @returns negative, zero or positive like `Array.prototype.sort` comparators.
 */
export function comparePositions(a: string, b: string): number {
  if (a === b) return 0;
  const as = a.split('-');
  const bs = b.split('-');
  const n = Math.max(as.length, bs.length);
  for (let k = 0; k < n; k++) {
    const c = compareDigits(as[k] ?? '0', bs[k] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}
