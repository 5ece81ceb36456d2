import type { RevocationStore } from '../engines/engine.js';
import { tenantSessionKey } from './forced-logout.js';
import { invalidToken } from './invalid-token.js';
import type { TokenClaims } from './token-claims.js';
import { userLogoutKey } from './user-logout-key.js';

/**
 * Which check refused, in the order given, once all have answered. A check that failed (Redis
 * unreachable) matters only if none refused: a revoked token gets its 401 even then.
 */
async function firstRevocation(
  checks: ReadonlyArray<readonly [string, boolean | Promise<boolean>]>,
): Promise<string | undefined> {
  const results = await Promise.allSettled(checks.map(([, c]) => c));
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled' && r.value) return (checks[i] as readonly [string, unknown])[0];
  }
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return undefined;
}

/**
 * Refuses a token that was logged out: the token itself (`jti`), its session (hub-wide or within
 * its tenant), or its user after the token was issued (hub-wide or within its tenant). All are
 * asked at once.
 * @throws HubError 401 `token-revoked` naming what was logged out; the store's error when a store
 *   failed and none refused.
 */
export async function checkRevocation(revocations: RevocationStore, claims: TokenClaims): Promise<void> {
  const { sub, tenant, session, tokenId, issuedAt } = claims;
  /** Whether a logout cut-off under `key` covers a token issued at `issuedAt`. */
  const loggedOutAfter = async (key: string): Promise<boolean> => {
    const cut = await revocations.issuedUpTo(key);
    return cut !== undefined && issuedAt <= cut;
  };
  const refused = await firstRevocation([
    ['token', revocations.isRevoked(`jti:${tokenId}`)],
    ['session', session === undefined ? false : revocations.isRevoked(`session:${session}`)],
    // A session logged out within one tenant (POST /disconnect with a tenant).
    [
      'session',
      session === undefined || typeof tenant !== 'string'
        ? false
        : revocations.isRevoked(tenantSessionKey(tenant, session)),
    ],
    ['user', loggedOutAfter(userLogoutKey(sub))],
    ['user', typeof tenant === 'string' ? loggedOutAfter(userLogoutKey(sub, tenant)) : false],
  ]);
  if (refused) {
    throw invalidToken(
      refused === 'user'
        ? 'This user was logged out by the server after this token was issued; sign in again to get a new token.'
        : `This ${refused} was logged out by the server; sign in again to get a new token.`,
      undefined,
      'token-revoked',
    );
  }
}
