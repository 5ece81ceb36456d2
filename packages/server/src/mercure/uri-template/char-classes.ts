/** Character classes of RFC 6570 section 1.5 and RFC 3986, as code unit predicates. */

const isAlnum = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
export const isHex = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~", plus the IRI's non-ASCII characters. */
export const isUnreserved = (c: number) =>
  isAlnum(c) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || c >= 0x80;
const RESERVED = new Set([...":/?#[]@!$&'()*+,;="].map((ch) => ch.charCodeAt(0)));
export const isReserved = (c: number) => RESERVED.has(c);

/** Characters a template may hold outside expressions (RFC 6570 `literals`, pct-encoded aside). */
export function isLiteralChar(c: number): boolean {
  if (c >= 0x80) return true; // ucschar / iprivate
  if (c <= 0x20 || c === 0x7f) return false;
  // Excluded by the grammar: " ' < > \ ^ ` { | } (the braces are handled by the caller).
  return !'"\'<>\\^`{|}'.includes(String.fromCharCode(c));
}
