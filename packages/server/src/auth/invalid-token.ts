import { HubError } from '../core/errors.js';

/** The challenge of a request that carries no credentials at all (RFC 6750 section 3). */
export const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Bearer realm="tidings"' };

const INVALID_TOKEN_HEADERS = { 'www-authenticate': 'Bearer realm="tidings", error="invalid_token"' };

/**
 * The 401 of a token the hub refuses, with the `invalid_token` challenge, so a client knows to
 * fetch a fresh one rather than retry.
 * @param code the error code clients branch on: `token-expired` and `token-revoked` ask for a new
 *   token; `invalid-token` (the default) for a fix.
 */
export function invalidToken(
  message: string,
  detail?: Record<string, unknown>,
  code = 'invalid-token',
): HubError {
  return new HubError(401, code, message, detail, INVALID_TOKEN_HEADERS);
}
