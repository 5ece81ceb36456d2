/**
 * Limits on the HTTP layer itself, applied by `node:http` before the hub sees a request. They
 * protect against slowloris-style clients that open many sockets and send nothing, or send the
 * request head a byte at a time, and against oversized heads.
 */
export interface ServerLimits {
  /** Largest request head (request line and headers), in bytes; larger gets `431`. @defaultValue 16384 */
  maxHeaderBytes?: number | undefined;
  /** Time from connection to a complete request head; slower gets `408`. @defaultValue 10000 */
  headersTimeoutMs?: number | undefined;
  /**
   * Idle time allowed on a new connection before its first request arrives; then `408` and the
   * socket is closed, so idle sockets cannot pile up.
   * @defaultValue 5000
   */
  firstByteTimeoutMs?: number | undefined;
  /** Time to receive a whole request (head and body); event streams are not affected. @defaultValue 30000 */
  requestTimeoutMs?: number | undefined;
  /** Idle time of a keep-alive connection between requests. @defaultValue 65000 */
  keepAliveTimeoutMs?: number | undefined;
}

/** {@link ServerLimits} with defaults filled in. */
export interface ResolvedServerLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  firstByteTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v <= 0)
    throw new RangeError(`Server limit ${name} must be a positive integer, not ${v}.`);
  return v;
}

/** Fills in defaults. @throws {RangeError} naming the limit when a value is out of range. */
export function resolveServerLimits(o: ServerLimits = {}): ResolvedServerLimits {
  const r = {
    maxHeaderBytes: positive('maxHeaderBytes', o.maxHeaderBytes, 16 * 1024),
    headersTimeoutMs: positive('headersTimeoutMs', o.headersTimeoutMs, 10_000),
    firstByteTimeoutMs: positive('firstByteTimeoutMs', o.firstByteTimeoutMs, 5_000),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 30_000),
    keepAliveTimeoutMs: positive('keepAliveTimeoutMs', o.keepAliveTimeoutMs, 65_000),
  };
  // node:http requires requestTimeout >= headersTimeout.
  if (r.requestTimeoutMs < r.headersTimeoutMs) r.requestTimeoutMs = r.headersTimeoutMs;
  return r;
}
