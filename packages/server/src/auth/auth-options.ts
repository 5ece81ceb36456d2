import { compilePattern } from '@tidings/protocol';
import type { JSONWebKeySet } from 'jose';
import { asList } from './as-list.js';

/** How tokens are verified. Give exactly one of `secret`, `publicKey` or `jwks`. */
export interface JwtOptions {
  /** Shared secret for HS256 (at least 32 bytes). */
  secret?: string | Uint8Array | undefined;
  /** A public key in PEM (SPKI, `-----BEGIN PUBLIC KEY-----`), RSA or EC P-256. */
  publicKey?: string | undefined;
  /**
   * A JSON Web Key Set (the parsed contents of a local JWKS file); keys are chosen by `kid`.
   * Checked when the hub is created: public RSA, EC or Ed25519 keys only, at most 100 keys and
   * 256 KiB; anything else throws a RangeError naming the key and what to do.
   * @see checkKeySet
   */
  jwks?: JSONWebKeySet | undefined;
  /**
   * Signature algorithms accepted; anything else (including `none`) is refused.
   * @defaultValue `["HS256"]` with a secret; `["RS256"]` or `["ES256"]` after the public key's
   *   type; with a JWKS, each key's `alg`, else the usual one of its type (RS256 for RSA, ES256,
   *   ES384 or ES512 after an EC key's curve, EdDSA)
   */
  algorithms?: readonly string[] | undefined;
  /** Required `iss`, or one of several. @defaultValue not checked */
  issuer?: string | readonly string[] | undefined;
  /** Required `aud` (one of several). @defaultValue not checked */
  audience?: string | readonly string[] | undefined;
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. @defaultValue 5 */
  clockToleranceS?: number | undefined;
}

/** The patterns a token may use, as found in its `tidings` claim. */
export interface GrantPatterns {
  /** Patterns the holder may subscribe to; `{sub}` and `{tenant}` are filled in. */
  subscribe?: readonly string[] | undefined;
  /** Patterns the holder may publish to over HTTP. */
  publish?: readonly string[] | undefined;
  /**
   * Command names the holder may call (`hub.onCommand`), as dot-separated patterns: `job.*`,
   * `job.**`, `tenant.{tenant}.job.pause`. @defaultValue none
   */
  commands?: readonly string[] | undefined;
}

/**
 * Authentication and authorization of the hub: who may subscribe, publish and force logouts.
 *
 * Tokens are JWTs whose claims are `sub` (the user), optionally `tenant` and a session id, and
 * `tidings: {subscribe: [...], publish: [...]}` with `{sub}` / `{tenant}` placeholders. The
 * backend may instead publish with the hub's publisher key.
 */
export interface AuthOptions {
  /** JWT verification; without it only the publisher key is accepted. */
  jwt?: JwtOptions | undefined;
  /**
   * The hub's publisher key(s), sent by your backend as `Authorization: Bearer <key>`: it may
   * publish to any topic, subscribe to any topic and call `POST /disconnect`. Give several to
   * rotate. Each at least 32 characters.
   * @defaultValue none
   */
  publisherKey?: string | readonly string[] | undefined;
  /** Name of the cookie that may carry the token (for `EventSource` `withCredentials`). @defaultValue "access_token" */
  cookieName?: string | undefined;
  /** Claim holding the tenant. @defaultValue "tenant" */
  tenantClaim?: string | undefined;
  /** Claim holding the session id (targeted delivery, forced logout). @defaultValue "sid" */
  sessionClaim?: string | undefined;
  /**
   * Patterns for tokens without a `tidings` claim (tokens your login system already issues).
   * @defaultValue none: such tokens may neither subscribe nor publish
   * @example `{ subscribe: ['user/{sub}', 'tenant/{tenant}/**'] }`
   */
  defaultGrant?: GrantPatterns | undefined;
  /**
   * First segment of per-tenant topics. A token with a tenant claim can never read or publish
   * `<root>/<other tenant>/…`, whatever its patterns say. `false` turns this guard off.
   * @defaultValue "tenant"
   */
  tenantTopicRoot?: string | false | undefined;
  /**
   * How long a session named in `POST /disconnect` stays refused, at least. The hub keeps it
   * refused for `maxTokenLifetimeMs` (plus the clock tolerance) when that is longer, so no token
   * of the session outlives its logout.
   * @defaultValue 86400000 (24 h)
   */
  sessionRevocationMs?: number | undefined;
  /**
   * The longest lifetime (`exp` − `iat`) of a user token the hub accepts; longer-lived tokens are
   * refused with 401. This bounds how long a logout must be remembered: after `POST /disconnect
   * {"user"}`, the user's tokens issued up to that moment are refused until the last of them
   * would have expired, in every revocation store. User tokens must carry `iat`.
   * @defaultValue 86400000 (24 h)
   * @see RevocationStore.revokeIssuedUpTo
   */
  maxTokenLifetimeMs?: number | undefined;
}

/** {@link AuthOptions} checked, with defaults filled in. */
export interface AuthSettings {
  /** The publisher keys, each checked to be long enough. */
  readonly publisherKeys: readonly string[];
  readonly cookieName: string;
  readonly tenantClaim: string;
  readonly sessionClaim: string;
  readonly tenantRoot: string | false;
  readonly defaultGrant: GrantPatterns | undefined;
  readonly sessionRevocationMs: number;
  readonly maxTokenLifetimeMs: number;
  /** `jwt.clockToleranceS` in milliseconds. */
  readonly toleranceMs: number;
  /** How long a user logout must hold: the longest token lifetime plus the clock tolerance. */
  readonly userRevocationMs: number;
}

/**
 * Checks {@link AuthOptions} (but for `jwt`, which the verifier checks) and fills in defaults.
 * @throws {RangeError} naming the option when it is unusable: a short publisher key, neither
 *   `jwt` nor `publisherKey`, a revocation span that is no positive integer, or a `defaultGrant`
 *   pattern that does not compile.
 */
export function resolveAuthOptions(o: AuthOptions): AuthSettings {
  const toleranceMs = (o.jwt?.clockToleranceS ?? 5) * 1000;
  const publisherKeys = asList(o.publisherKey).map((k) => {
    if (typeof k !== 'string' || k.length < 32) {
      throw new RangeError(
        'Auth option publisherKey must be at least 32 characters; generate one with "openssl rand -base64 32".',
      );
    }
    return k;
  });
  if (!o.jwt && publisherKeys.length === 0) {
    throw new RangeError(
      'Auth options need jwt (to verify user tokens), publisherKey (for your backend), or both.',
    );
  }
  const sessionRevocationMs = o.sessionRevocationMs ?? 24 * 3600_000;
  if (!Number.isInteger(sessionRevocationMs) || sessionRevocationMs <= 0) {
    throw new RangeError(
      `Auth option sessionRevocationMs must be a positive integer, not ${sessionRevocationMs}.`,
    );
  }
  const maxTokenLifetimeMs = o.maxTokenLifetimeMs ?? 24 * 3600_000;
  if (!Number.isInteger(maxTokenLifetimeMs) || maxTokenLifetimeMs < 1000) {
    throw new RangeError(
      `Auth option maxTokenLifetimeMs must be a whole number of milliseconds, at least 1000, not ${maxTokenLifetimeMs}.`,
    );
  }
  if (o.defaultGrant) checkDefaultGrant(o.defaultGrant);
  return {
    publisherKeys,
    cookieName: o.cookieName ?? 'access_token',
    tenantClaim: o.tenantClaim ?? 'tenant',
    sessionClaim: o.sessionClaim ?? 'sid',
    tenantRoot: o.tenantTopicRoot ?? 'tenant',
    defaultGrant: o.defaultGrant,
    sessionRevocationMs,
    maxTokenLifetimeMs,
    toleranceMs,
    userRevocationMs: maxTokenLifetimeMs + toleranceMs,
  };
}

/** Catches typos at startup rather than on the first request. */
function checkDefaultGrant(grant: GrantPatterns): void {
  for (const p of [
    ...(grant.subscribe ?? []),
    ...(grant.publish ?? []),
    ...(grant.commands ?? []).map((c) => String(c).replaceAll('.', '/')),
  ]) {
    const sample = String(p).replaceAll('{sub}', 'u').replaceAll('{tenant}', 't');
    try {
      compilePattern(sample);
    } catch (e) {
      throw new RangeError(
        `Auth option defaultGrant has the unusable pattern "${p}": ${(e as Error).message}`,
      );
    }
  }
}
