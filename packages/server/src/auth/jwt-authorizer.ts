import type { RevocationStore } from '../engines/engine.js';
import type { HubRequest } from '../http/hub-request.js';
import { type AuthOptions, resolveAuthOptions } from './auth-options.js';
import type { Authorizer, Principal } from './authorizer.js';
import { grantDecisions } from './grant-decisions.js';
import { buildVerifier } from './jwt-verifier.js';
import { tokenAuthenticator } from './token-authenticator.js';

// The factory's options, where its callers have always found them.
export type { AuthOptions, GrantPatterns, JwtOptions } from './auth-options.js';

/** {@link AuthOptions} with defaults filled in, as the rest of the hub sees them. */
export interface ResolvedAuth {
  readonly authorizer: Authorizer;
  /**
   * Verifies the request's credentials (once per request; later calls share the result).
   * @throws HubError 401 when they are missing, invalid, expired or revoked.
   */
  authenticate(req: HubRequest): Promise<Principal>;
  /**
   * Refuses a principal whose grant lets it publish to no topic at all, so `POST /publish` can
   * refuse it before reading the body. The publisher key passes.
   * @throws HubError 403.
   */
  checkMayPublish(principal: Principal): void;
  readonly sessionRevocationMs: number;
  /**
   * How long a user logout must hold: the longest token lifetime accepted plus the clock
   * tolerance, after which every token issued before the logout has expired.
   */
  readonly userRevocationMs: number;
  readonly cookieName: string;
}

/**
 * Builds the JWT authorizer: verifies tokens, fills `{sub}`/`{tenant}` into the `tidings`
 * grant, intersects subscriptions with it, checks publish topics, honours the publisher key and
 * refuses revoked tokens and sessions.
 * @throws {RangeError} naming the option when the configuration is unusable (no key, short
 *   secret, algorithm that does not fit the key, short publisher key).
 */
export function jwtAuthorizer(o: AuthOptions, revocations: RevocationStore): ResolvedAuth {
  // `iat` dates a token against a user's logout (see maxTokenLifetimeMs).
  const verify = o.jwt ? buildVerifier(o.jwt, ['exp', 'sub', 'iat']) : undefined;
  const settings = resolveAuthOptions(o);
  const auth = tokenAuthenticator(settings, verify, revocations);
  const { authorizer, checkMayPublish } = grantDecisions(auth, settings.publisherKeys.length > 0);
  return {
    authorizer,
    authenticate: auth.authenticate,
    checkMayPublish,
    sessionRevocationMs: settings.sessionRevocationMs,
    userRevocationMs: settings.userRevocationMs,
    cookieName: settings.cookieName,
  };
}
