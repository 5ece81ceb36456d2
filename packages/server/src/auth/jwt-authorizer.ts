import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { compilePattern } from '@tidings/protocol';
import {
  createLocalJWKSet,
  errors,
  importSPKI,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { HubError } from '../core/errors.js';
import type { RevocationStore } from '../engines/engine.js';
import type { HubRequest } from '../http/hub-request.js';
import type { Authorizer, Principal, SubscribeGrant } from './authorizer.js';
import { tenantSessionKey } from './forced-logout.js';
import {
  checkSubscription,
  expandCommandGrant,
  expandGrantList,
  grantCanCommand,
  grantCanPublish,
  type TopicGrant,
} from './grant.js';
import { checkKeySet, keySetAlgorithms } from './key-set.js';
import { type FoundToken, findToken } from './token-source.js';
import { userLogoutKey } from './user-logout-key.js';

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

const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Bearer realm="tidings"' };
const INVALID_TOKEN_HEADERS = { 'www-authenticate': 'Bearer realm="tidings", error="invalid_token"' };

function invalid(message: string, detail?: Record<string, unknown>, code = 'invalid-token'): HubError {
  return new HubError(401, code, message, detail, INVALID_TOKEN_HEADERS);
}

function sha256(s: string | Uint8Array): Buffer {
  return createHash('sha256').update(s).digest();
}

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

/** 90000000 → "25 h", 5400000 → "90 min", 20000 → "20 s". */
function formatSpan(ms: number): string {
  if (ms >= 2 * 3600_000) return `${Math.round(ms / 3600_000)} h`;
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

function asList<T>(v: T | readonly T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

const HMAC = new Set(['HS256', 'HS384', 'HS512']);
const ASYMMETRIC = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** Verifies a compact JWT and returns its claims; throws a 401 `HubError` saying what is wrong. */
export type Verifier = (token: string) => Promise<JWTPayload>;
type CryptoKeyLike = Awaited<ReturnType<typeof importSPKI>>;

/**
 * Builds the token verifier of {@link JwtOptions}.
 * @param requiredClaims claims a token must carry (Mercure tokens often have neither `exp` nor `sub`).
 * @param option how error messages name the options, e.g. `"Auth option jwt"`.
 * @throws {RangeError} naming the option when the configuration is unusable.
 */
export function buildVerifier(
  o: JwtOptions,
  requiredClaims: readonly string[] = ['exp', 'sub'],
  option = 'Auth option jwt',
): Verifier {
  const given = [o.secret !== undefined, o.publicKey !== undefined, o.jwks !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1) {
    throw new RangeError(`${option} needs exactly one of secret, publicKey or jwks.`);
  }
  let key: JWTVerifyGetKey;
  let algorithms: string[];
  if (o.secret !== undefined) {
    const bytes = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
    if (bytes.byteLength < 32) {
      throw new RangeError(
        `${option}.secret is ${bytes.byteLength} bytes; HS256 needs at least 32. Generate one with "openssl rand -base64 48".`,
      );
    }
    // Imported once per algorithm: jose would otherwise import the raw secret on every verify.
    const hmacKeys = new Map<string, Promise<CryptoKeyLike>>();
    const raw = new Uint8Array(bytes); // a copy on a plain ArrayBuffer, as WebCrypto's types want
    key = (header) => {
      const alg = header.alg as string;
      let k = hmacKeys.get(alg);
      if (!k) {
        k = globalThis.crypto.subtle.importKey(
          'raw',
          raw,
          { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
          false,
          ['verify'],
        );
        hmacKeys.set(alg, k);
      }
      return k;
    };
    algorithms = [...(o.algorithms ?? ['HS256'])];
    for (const a of algorithms) {
      if (!HMAC.has(a)) {
        throw new RangeError(
          `${option}.algorithms has "${a}", which cannot be used with a shared secret; use HS256.`,
        );
      }
    }
  } else {
    if (o.publicKey !== undefined) {
      // node would derive the public half of a private key silently; the private key then sits
      // in the hub's configuration, where it does not belong.
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(String(o.publicKey))) {
        throw new RangeError(
          `${option}.publicKey is a private key; give the hub only the public half (openssl pkey -in key.pem -pubout) and keep the private key with the token issuer.`,
        );
      }
      let type: string | undefined;
      try {
        type = createPublicKey(o.publicKey).asymmetricKeyType;
      } catch (e) {
        throw new RangeError(`${option}.publicKey is not a PEM public key (${(e as Error).message}).`);
      }
      algorithms = [
        ...(o.algorithms ?? (type === 'rsa' ? ['RS256'] : type === 'ec' ? ['ES256'] : ['EdDSA'])),
      ];
      const pem = o.publicKey;
      const cache = new Map<string, ReturnType<typeof importSPKI>>();
      key = async (header) => {
        const alg = header.alg as string;
        let k = cache.get(alg);
        if (!k) {
          k = importSPKI(pem, alg);
          cache.set(alg, k);
        }
        try {
          return await k;
        } catch {
          throw invalid(`The token is signed with ${alg}, which does not fit the hub's public key.`, { alg });
        }
      };
    } else {
      // Checked here, at start: a bad key would otherwise fail every token later.
      checkKeySet(o.jwks, `${option}.jwks`);
      algorithms = [...(o.algorithms ?? keySetAlgorithms(o.jwks))];
      const set = createLocalJWKSet(o.jwks);
      key = set;
    }
    for (const a of algorithms) {
      if (!ASYMMETRIC.has(a)) {
        throw new RangeError(
          `${option}.algorithms has "${a}", which is not a public-key algorithm; use RS256 or ES256.`,
        );
      }
    }
  }
  if (algorithms.length === 0) throw new RangeError(`${option}.algorithms must name at least one algorithm.`);
  const clockTolerance = o.clockToleranceS ?? 5;
  if (!(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new RangeError(
      `${option}.clockToleranceS must be between 0 and 300 seconds, not ${clockTolerance}.`,
    );
  }
  const verifyOptions = {
    algorithms,
    clockTolerance,
    requiredClaims: [...requiredClaims],
    ...(o.issuer !== undefined && { issuer: asList(o.issuer) }),
    ...(o.audience !== undefined && { audience: asList(o.audience) }),
  };
  const accepted = algorithms.join(', ');

  return async (token) => {
    try {
      const r = await jwtVerify(token, key, verifyOptions);
      return r.payload;
    } catch (e) {
      if (e instanceof HubError) throw e;
      if (e instanceof errors.JWTExpired) {
        const exp =
          typeof e.payload.exp === 'number'
            ? new Date(e.payload.exp * 1000).toISOString()
            : 'an earlier time';
        throw invalid(
          `The token expired at ${exp}; fetch a fresh token and reconnect.`,
          { expiredAt: exp },
          'token-expired',
        );
      }
      if (e instanceof errors.JWTClaimValidationFailed) {
        if (e.claim === 'nbf') {
          const nbf =
            typeof e.payload.nbf === 'number' ? new Date(e.payload.nbf * 1000).toISOString() : 'later';
          throw invalid(
            `The token is not valid before ${nbf}; check the clocks of the hub and the token issuer.`,
            { claim: 'nbf' },
          );
        }
        if (e.reason === 'missing') {
          throw invalid(
            `The token has no "${e.claim}" claim; the hub requires ${requiredClaims.map((c) => `"${c}"`).join(' and ')}.`,
            {
              claim: e.claim,
            },
          );
        }
        if (e.claim === 'iss' || e.claim === 'aud') {
          const want = asList(e.claim === 'iss' ? o.issuer : o.audience).join(', ');
          throw invalid(`The token's "${e.claim}" claim is not accepted; this hub expects ${want}.`, {
            claim: e.claim,
          });
        }
        throw invalid(`The token's "${e.claim}" claim is invalid (${e.message}).`, { claim: e.claim });
      }
      if (e instanceof errors.JOSEAlgNotAllowed) {
        throw invalid(`The token's algorithm is not accepted; this hub accepts only ${accepted}.`, {
          accepted: algorithms,
        });
      }
      if (e instanceof errors.JWSSignatureVerificationFailed) {
        throw invalid('The token signature does not verify; it was not issued for this hub or was altered.');
      }
      if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
        throw invalid("No key of the hub's JWKS matches the token's kid and algorithm; check the key set.");
      }
      if (e instanceof errors.JOSEError || e instanceof TypeError) {
        throw invalid(
          'The token is not a well-formed JWT; send the compact "header.payload.signature" form.',
        );
      }
      throw e;
    }
  };
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
  const toleranceMs = (o.jwt?.clockToleranceS ?? 5) * 1000;
  const keys = asList(o.publisherKey).map((k) => {
    if (typeof k !== 'string' || k.length < 32) {
      throw new RangeError(
        'Auth option publisherKey must be at least 32 characters; generate one with "openssl rand -base64 32".',
      );
    }
    return sha256(k);
  });
  if (!verify && keys.length === 0) {
    throw new RangeError(
      'Auth options need jwt (to verify user tokens), publisherKey (for your backend), or both.',
    );
  }
  const cookieName = o.cookieName ?? 'access_token';
  const tenantClaim = o.tenantClaim ?? 'tenant';
  const sessionClaim = o.sessionClaim ?? 'sid';
  const tenantRoot = o.tenantTopicRoot ?? 'tenant';
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
  const userRevocationMs = maxTokenLifetimeMs + toleranceMs;
  if (o.defaultGrant) {
    // Catch typos at startup rather than on the first request.
    for (const p of [
      ...(o.defaultGrant.subscribe ?? []),
      ...(o.defaultGrant.publish ?? []),
      ...(o.defaultGrant.commands ?? []).map((c) => String(c).replaceAll('.', '/')),
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
  const grants = new WeakMap<Principal, TopicGrant>();

  function isPublisherKey(found: FoundToken): boolean {
    if (found.source !== 'header' || keys.length === 0) return false;
    const h = sha256(found.token);
    let match = false;
    for (const k of keys) if (timingSafeEqual(h, k)) match = true;
    return match;
  }

  function require(req: HubRequest): FoundToken {
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

  /** Whether a logout cut-off under `key` covers a token issued at `issuedAt`. */
  async function loggedOutAfter(key: string, issuedAt: number): Promise<boolean> {
    const cut = await revocations.issuedUpTo(key);
    return cut !== undefined && issuedAt <= cut;
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
    const found = require(req);
    if (isPublisherKey(found)) return { trusted: true };
    if (!verify) {
      throw invalid('This hub accepts only its publisher key; user tokens are not configured.');
    }
    const payload = await verify(found.token);
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0)
      throw invalid('The token\'s "sub" claim must be a non-empty string.', { claim: 'sub' });
    const tenant = payload[tenantClaim];
    if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) {
      throw invalid(`The token's "${tenantClaim}" claim must be a non-empty string.`, { claim: tenantClaim });
    }
    const session = payload[sessionClaim];
    if (session !== undefined && (typeof session !== 'string' || session.length === 0)) {
      throw invalid(`The token's "${sessionClaim}" claim must be a non-empty string.`, {
        claim: sessionClaim,
      });
    }
    const tokenId =
      typeof payload.jti === 'string' && payload.jti.length > 0
        ? payload.jti
        : `sha256:${sha256(found.token).toString('base64url')}`;
    // Required by the verifier, so a number here.
    const issuedAt = (payload.iat as number) * 1000;
    const expiresAt = (payload.exp as number) * 1000;
    if (issuedAt > Date.now() + toleranceMs) {
      throw invalid(
        'The token\'s "iat" lies in the future; check the clocks of the hub and the token issuer.',
        { claim: 'iat' },
      );
    }
    if (expiresAt - issuedAt > maxTokenLifetimeMs) {
      throw invalid(
        `The token is valid for ${formatSpan(expiresAt - issuedAt)} (from "iat" to "exp"), longer than this hub accepts (${formatSpan(maxTokenLifetimeMs)}); issue tokens that expire sooner, or raise the auth option maxTokenLifetimeMs (--max-token-lifetime for tidings serve).`,
        { claim: 'exp', maxTokenLifetimeMs },
      );
    }
    const refused = await firstRevocation([
      ['token', revocations.isRevoked(`jti:${tokenId}`)],
      ['session', session === undefined ? false : revocations.isRevoked(`session:${session}`)],
      // A session logged out within one tenant (POST /disconnect with a tenant).
      [
        'session',
        session === undefined || typeof tenant !== 'string'
          ? false
          : revocations.isRevoked(tenantSessionKey(tenant, session as string)),
      ],
      ['user', loggedOutAfter(userLogoutKey(sub), issuedAt)],
      ['user', typeof tenant === 'string' ? loggedOutAfter(userLogoutKey(sub, tenant), issuedAt) : false],
    ]);
    if (refused) {
      throw invalid(
        refused === 'user'
          ? 'This user was logged out by the server after this token was issued; sign in again to get a new token.'
          : `This ${refused} was logged out by the server; sign in again to get a new token.`,
        undefined,
        'token-revoked',
      );
    }
    const claim = payload.tidings;
    let patterns: GrantPatterns | undefined;
    if (claim === undefined) patterns = o.defaultGrant;
    else if (typeof claim === 'object' && claim !== null && !Array.isArray(claim))
      patterns = claim as GrantPatterns;
    else
      throw invalid('The token\'s "tidings" claim must be an object such as {"subscribe":["user/{sub}"]}.', {
        claim: 'tidings',
      });
    const values = { sub, tenant: tenant as string | undefined };
    const subscribe = expandGrantList(patterns?.subscribe, values);
    if (typeof subscribe === 'string') throw invalid(subscribe, { claim: 'tidings.subscribe' });
    const publish = expandGrantList(patterns?.publish, values);
    if (typeof publish === 'string') throw invalid(publish, { claim: 'tidings.publish' });
    const commands = expandCommandGrant(patterns?.commands, values);
    if (typeof commands === 'string') throw invalid(commands, { claim: 'tidings.commands' });
    const principal: Principal = {
      user: sub,
      session: session as string | undefined,
      tenant: tenant as string | undefined,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
      claims: payload,
      tokenId,
    };
    grants.set(principal, {
      subscribe,
      publish,
      commands,
      tenant: tenant as string | undefined,
      tenantRoot,
    });
    return principal;
  }

  function describe(list: readonly { source: string }[]): string {
    return list.length === 0 ? 'no topics at all' : list.map((p) => `"${p.source}"`).join(', ');
  }

  const authorizer: Authorizer = {
    async authorizeSubscribe(req, patterns): Promise<SubscribeGrant> {
      const principal = await authenticate(req);
      const grant = grants.get(principal);
      if (!grant) return { principal }; // the publisher key reads everything
      const check = checkSubscription(
        grant,
        patterns.map((p) => compilePattern(p)),
      );
      const first = check.denied[0];
      if (first !== undefined) {
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow reading "${first}"; it may read ${describe(grant.subscribe)}. Subscribe only to topics it grants, or get a token that grants this one.`,
          { topic: first, topics: check.denied },
        );
      }
      return { principal, canRead: check.canRead };
    },

    async authorizePublish(req, topics): Promise<Principal> {
      const principal = await authenticate(req);
      const grant = grants.get(principal);
      if (!grant) return principal;
      const denied = topics.filter((t) => !grantCanPublish(grant, t));
      const first = denied[0];
      if (first !== undefined) {
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow publishing to "${first}"; it may publish to ${describe(grant.publish)}. Publish from your backend with the publisher key instead.`,
          { topic: first, topics: [...new Set(denied)] },
        );
      }
      return principal;
    },

    async authorizeCommand(req, name): Promise<Principal> {
      const principal = await authenticate(req);
      const grant = grants.get(principal);
      if (!grant) return principal; // the publisher key may call every command
      if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
        throw invalid(
          `The token expired at ${new Date(principal.expiresAt).toISOString()}; fetch a fresh token and reconnect.`,
          undefined,
          'token-expired',
        );
      }
      if (!grantCanCommand(grant, name)) {
        const allowed = grant.commands ?? [];
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow the command "${name}"; it may call ${
            allowed.length === 0
              ? 'no commands at all'
              : allowed.map((p) => `"${p.source.replaceAll('/', '.')}"`).join(', ')
          }. Get a token whose tidings.commands claim grants it.`,
          { command: name },
        );
      }
      return principal;
    },

    async authorizeAdmin(req): Promise<Principal> {
      const found = require(req);
      if (isPublisherKey(found)) return { trusted: true };
      throw new HubError(
        403,
        'forbidden',
        keys.length === 0
          ? "This request needs the hub's publisher key, and none is configured; start the hub with a publisher key."
          : 'This request needs the hub\'s publisher key as "Authorization: Bearer <key>"; user tokens may not make it.',
      );
    },
  };
  function checkMayPublish(principal: Principal): void {
    const grant = grants.get(principal);
    if (!grant || grant.publish.length > 0) return;
    throw new HubError(
      403,
      'forbidden',
      'Your token does not allow publishing to any topic; publish from your backend with the publisher key, or get a token whose tidings.publish claim grants the topic.',
    );
  }

  return { authorizer, authenticate, checkMayPublish, sessionRevocationMs, userRevocationMs, cookieName };
}
