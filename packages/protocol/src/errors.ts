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
  /** The token's signature, algorithm, issuer, audience or claims are not acceptable. */
  invalidToken: 'invalid-token',
  /** The token's `exp` has passed: fetch a fresh one and reconnect. */
  tokenExpired: 'token-expired',
  /** The token or its session was revoked by a forced logout. */
  tokenRevoked: 'token-revoked',
  /** A browser request from an origin the hub's CORS allow-list does not name. */
  originNotAllowed: 'origin-not-allowed',
  /** A subscription pattern has more wildcards than the hub allows. */
  patternTooComplex: 'pattern-too-complex',
  /** The request head is larger than the server's header limit. */
  headersTooLarge: 'headers-too-large',
  /** The request head did not arrive in time (idle or slow client). */
  requestTimeout: 'request-timeout',
  /** `GET /ws` was requested without a WebSocket upgrade, or the server does not wire upgrades. */
  upgradeRequired: 'upgrade-required',
  /** No handler is registered for the command name. */
  unknownCommand: 'unknown-command',
  /** The command handler failed; the message is safe to show (details are in the hub's log). */
  commandFailed: 'command-failed',
  /** The command handler did not finish in time; its outcome is unknown. */
  timeout: 'timeout',
  /** Too many commands of one connection are running at once. */
  tooManyCommands: 'too-many-commands',
  /** A WebSocket message is not one the hub understands. */
  invalidMessage: 'invalid-message',
  /** A WebSocket message has an unknown `op`. */
  unknownMessage: 'unknown-message',
  /** A WebSocket message names a format version the hub does not speak. */
  unsupportedVersion: 'unsupported-version',
  /** A WebSocket message is larger than the hub accepts. */
  messageTooLarge: 'message-too-large',
  /** A Mercure topic selector is a URI template over the hub's limits (length, variables, states). */
  templateTooComplex: 'template-too-complex',
  /** A Mercure subscription names more URI templates than the hub allows. */
  tooManyTemplates: 'too-many-templates',
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
