import { HubError } from '../core/errors.js';
import { requireBuiltin } from '../core/node-builtins.js';
import type { RevocationStore } from '../engines/engine.js';
import type { HubRequest } from '../http/hub-request.js';
import type { AuthSettings } from './auth-options.js';
import type { Principal } from './authorizer.js';
import type { TopicGrant } from './grant.js';
import { invalidToken, UNAUTHORIZED_HEADERS } from './invalid-token.js';
import type { Verifier } from './jwt-verifier.js';
import { checkRevocation } from './revocation-check.js';
import { readTokenClaims } from './token-claims.js';
import { tokenGrant } from './token-grant.js';
import { type FoundToken, findToken } from './token-source.js';

/** Establishes who sends a request: the backend with the publisher key, or a user with a token. */
export interface TokenAuthenticator {
  /**
   * Verifies the request's credentials (once per request; later calls share the result).
   * @throws HubError 401 when they are missing, invalid, expired or revoked.
   */
  authenticate(req: HubRequest): Promise<Principal>;
  /** The grant of a user's principal; undefined for the publisher key, which may do anything. */
  grantOf(principal: Principal): TopicGrant | undefined;
  /**
   * The request's credentials, unverified.
   * @throws HubError 401 saying how to send them when there are none.
   */
  requireToken(req: HubRequest): FoundToken;
  /** Whether credentials are one of the hub's publisher keys (in the header; compared in constant time). */
  isPublisherKey(found: FoundToken): boolean;
}

type Crypto = typeof import('node:crypto');

function sha256(crypto: Crypto, s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

const keyCrypto = (): Crypto => requireBuiltin('node:crypto', 'Checking a backend key');

/**
 * The authenticator of the JWT authorizer.
 * @param verify the user token verifier; without it only the publisher key is accepted.
 */
export function tokenAuthenticator(
  settings: AuthSettings,
  verify: Verifier | undefined,
  revocations: RevocationStore,
): TokenAuthenticator {
  const { cookieName, tenantRoot, defaultGrant } = settings;
  const keys = settings.publisherKeys.map((k) => sha256(keyCrypto(), k));
  const grants = new WeakMap<Principal, TopicGrant>();

  function isPublisherKey(found: FoundToken): boolean {
    if (found.source !== 'header' || keys.length === 0) return false;
    const crypto = keyCrypto();
    const h = sha256(crypto, found.token);
    let match = false;
    for (const k of keys) if (crypto.timingSafeEqual(h, k)) match = true;
    return match;
  }

  function requireToken(req: HubRequest): FoundToken {
    const found = findToken(req, cookieName);
    if (!found) {
      const how = verify
        ? `pass a token as ?token=<JWT>, an "Authorization: Bearer <JWT>" header or the ${cookieName} cookie`
        : 'send the publisher key as "Authorization: Bearer <key>"';
      throw new HubError(
        401,
        'unauthorized',
        `This hub requires authentication; ${how}.`,
        undefined,
        UNAUTHORIZED_HEADERS,
      );
    }
    return found;
  }

  const perRequest = new WeakMap<HubRequest, Promise<Principal>>();
  function authenticate(req: HubRequest): Promise<Principal> {
    let p = perRequest.get(req);
    if (!p) {
      p = verifyRequest(req);
      perRequest.set(req, p);
    }
    return p;
  }

  async function verifyRequest(req: HubRequest): Promise<Principal> {
    const found = requireToken(req);
    if (isPublisherKey(found)) return { trusted: true };
    if (!verify) {
      throw invalidToken('This hub accepts only its publisher key; user tokens are not configured.');
    }
    const payload = await verify(found.token);
    const claims = readTokenClaims(payload, found.token, settings);
    await checkRevocation(revocations, claims);
    const { sub, tenant, session, tokenId } = claims;
    const grant = tokenGrant(payload.tidings, defaultGrant, { sub, tenant }, tenantRoot);
    const principal: Principal = {
      user: sub,
      session,
      tenant,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
      claims: payload,
      tokenId,
    };
    grants.set(principal, grant);
    return principal;
  }

  return {
    authenticate,
    grantOf: (principal) => grants.get(principal),
    requireToken,
    isPublisherKey,
  };
}
