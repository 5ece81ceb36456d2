import type { ErrorBody, ErrorCode } from '@tidings/protocol';

/**
 * An error with an HTTP status and a machine code, rendered as `{"error":{"code","message"}}`.
 * Messages are whole sentences that say what to do.
 */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    /** HTTP status, 4xx for the caller's mistakes and 5xx for the hub's. */
    readonly status: number,
    /** Machine-readable code, see `ERROR_CODES` in `@tidings/protocol`. */
    readonly code: ErrorCode,
    message: string,
    /** Extra fields for the error body, e.g. `{ limit: 65536 }`. */
    readonly detail?: Record<string, unknown>,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  /** The JSON body for this error. */
  toBody(): ErrorBody {
    return { error: { ...this.detail, code: this.code, message: this.message } };
  }
}

/** Whether `e` is a {@link HubError}. */
export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}
