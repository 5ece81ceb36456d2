import { describe, expect, it } from 'vitest';
import { HubError } from '../core/errors.js';
import type { RevocationStore } from '../engines/engine.js';
import { MemoryRevocations } from '../engines/memory/memory-revocations.js';
import { tenantSessionKey } from './forced-logout.js';
import { checkRevocation } from './revocation-check.js';
import type { TokenClaims } from './token-claims.js';
import { userLogoutKey } from './user-logout-key.js';

const now = Date.now();
const claims: TokenClaims = {
  sub: 'alice',
  tenant: 'acme',
  session: 's1',
  tokenId: 'j1',
  issuedAt: now - 60_000,
  expiresAt: now + 60_000,
};

async function refusal(store: RevocationStore, c: TokenClaims = claims): Promise<HubError | undefined> {
  try {
    await checkRevocation(store, c);
    return undefined;
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
}

/** A store whose `isRevoked` fails for one key, as when its backend cannot be reached. */
function failingFor(store: MemoryRevocations, key: string): RevocationStore {
  return {
    revoke: (k, until) => store.revoke(k, until),
    revokeIssuedUpTo: (k, cut, until) => store.revokeIssuedUpTo(k, cut, until),
    isRevoked: (k) => (k === key ? Promise.reject(new Error('store unreachable')) : store.isRevoked(k)),
    issuedUpTo: (k) => store.issuedUpTo(k),
  };
}

describe('checkRevocation', () => {
  it('passes a token nothing revoked', async () => {
    expect(await refusal(new MemoryRevocations())).toBeUndefined();
  });

  it('names what was logged out: the token, its session hub-wide or in its tenant, or its user', async () => {
    const token = new MemoryRevocations();
    await token.revoke('jti:j1', now + 60_000);
    expect((await refusal(token))?.message).toMatch(/^This token was logged out/);

    const session = new MemoryRevocations();
    await session.revoke('session:s1', now + 60_000);
    expect((await refusal(session))?.message).toMatch(/^This session was logged out/);

    const tenantSession = new MemoryRevocations();
    await tenantSession.revoke(tenantSessionKey('acme', 's1'), now + 60_000);
    const e = await refusal(tenantSession);
    expect(e?.status).toBe(401);
    expect(e?.code).toBe('token-revoked');
    expect(e?.message).toMatch(/^This session was logged out/);

    const user = new MemoryRevocations();
    await user.revokeIssuedUpTo(userLogoutKey('alice', 'acme'), now, now + 60_000);
    expect((await refusal(user))?.message).toMatch(/^This user was logged out by the server after/);
  });

  it('refuses a user logout only for tokens issued up to it', async () => {
    const store = new MemoryRevocations();
    await store.revokeIssuedUpTo(userLogoutKey('alice'), now - 120_000, now + 60_000);
    expect(await refusal(store)).toBeUndefined();
  });

  it('answers the first refusal in order (token before session before user)', async () => {
    const store = new MemoryRevocations();
    await store.revokeIssuedUpTo(userLogoutKey('alice'), now, now + 60_000);
    await store.revoke('session:s1', now + 60_000);
    expect((await refusal(store))?.message).toMatch(/^This session/);
    await store.revoke('jti:j1', now + 60_000);
    expect((await refusal(store))?.message).toMatch(/^This token/);
  });

  it('refuses a revoked token even when another check fails, and fails only when none refused', async () => {
    const store = new MemoryRevocations();
    const failing = failingFor(store, 'jti:j1');
    await expect(checkRevocation(failing, claims)).rejects.toThrow('store unreachable');
    await store.revoke('session:s1', now + 60_000);
    expect((await refusal(failing))?.code).toBe('token-revoked');
  });
});
