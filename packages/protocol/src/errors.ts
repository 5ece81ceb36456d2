/**
 * Error codes of the hub's JSON error bodies, `{"error":{"code","message"}}`. The code is for
 * programs; the message is a sentence for people that says what to do.
 */
export const ERROR_CODES = {
  badRequest: 'bad-request',
  invalidJson: 'invalid-json',
  invalidTopic: 'invalid-topic',
  invalidPattern: 'invalid-pattern',
  invalidEvent: 'invalid-event',
  payloadTooLarge: 'payload-too-large',
  methodNotAllowed: 'method-not-allowed',
  notFound: 'not-found',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  rateLimited: 'rate-limited',
  tooManyConnections: 'too-many-connections',
  unavailable: 'unavailable',
  internal: 'internal',
} as const;

/** One of {@link ERROR_CODES}, or an application-specific code. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES] | (string & {});

/** The body of every error response. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** Extra machine-readable detail, e.g. the limit that was hit. */
    [key: string]: unknown;
  };
}
