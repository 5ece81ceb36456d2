import type { JWTPayload } from 'jose';
import { sha256 } from '../core/node-builtins.js';
import type { AuthSettings } from './auth-options.js';
import { invalidToken } from './invalid-token.js';

/** Who a verified user token speaks for, and when it was issued and expires. */
export interface TokenClaims {
  readonly sub: string;
  readonly tenant: string | undefined;
  readonly session: string | undefined;
  /** The token's `jti`, else `sha256:` and the hash of the token. */
  readonly tokenId: string;
  /** `iat`, in epoch ms. */
  readonly issuedAt: number;
  /** `exp`, in epoch ms. */
  readonly expiresAt: number;
}

/** 90000000 → "25 h", 5400000 → "90 min", 20000 → "20 s". */
function formatSpan(ms: number): string {
  if (ms >= 2 * 3600_000) return `${Math.round(ms / 3600_000)} h`;
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Reads the identity claims of a verified user token (one that carries `sub`, `exp` and `iat`).
 * @throws HubError 401 when `sub`, the tenant or the session claim is not a non-empty string,
 *   `iat` lies in the future, or the token lives longer than `maxTokenLifetimeMs`.
 */
export function readTokenClaims(payload: JWTPayload, token: string, settings: AuthSettings): TokenClaims {
  const { tenantClaim, sessionClaim, toleranceMs, maxTokenLifetimeMs } = settings;
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0)
    throw invalidToken('The token\'s "sub" claim must be a non-empty string.', { claim: 'sub' });
  const tenant = payload[tenantClaim];
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) {
    throw invalidToken(`The token's "${tenantClaim}" claim must be a non-empty string.`, {
      claim: tenantClaim,
    });
  }
  const session = payload[sessionClaim];
  if (session !== undefined && (typeof session !== 'string' || session.length === 0)) {
    throw invalidToken(`The token's "${sessionClaim}" claim must be a non-empty string.`, {
      claim: sessionClaim,
    });
  }
  const tokenId =
    typeof payload.jti === 'string' && payload.jti.length > 0
      ? payload.jti
      : `sha256:${sha256(token, 'base64url', 'Naming a token without jti')}`;
  // Required by the verifier, so a number here.
  const issuedAt = (payload.iat as number) * 1000;
  const expiresAt = (payload.exp as number) * 1000;
  if (issuedAt > Date.now() + toleranceMs) {
    throw invalidToken(
      'The token\'s "iat" lies in the future; check the clocks of the hub and the token issuer.',
      { claim: 'iat' },
    );
  }
  if (expiresAt - issuedAt > maxTokenLifetimeMs) {
    throw invalidToken(
      `The token is valid for ${formatSpan(expiresAt - issuedAt)} (from "iat" to "exp"), longer than this hub accepts (${formatSpan(maxTokenLifetimeMs)}); issue tokens that expire sooner, or raise the auth option maxTokenLifetimeMs (--max-token-lifetime for tidings serve).`,
      { claim: 'exp', maxTokenLifetimeMs },
    );
  }
  return {
    sub,
    tenant: tenant as string | undefined,
    session: session as string | undefined,
    tokenId,
    issuedAt,
    expiresAt,
  };
}
