import { errors, type JWTPayload, jwtVerify } from 'jose';
import { HubError } from '../core/errors.js';
import { asList } from './as-list.js';
import type { JwtOptions } from './auth-options.js';
import { invalidToken } from './invalid-token.js';
import { verificationKey } from './verification-key.js';

/** Verifies a compact JWT and returns its claims; throws a 401 `HubError` saying what is wrong. */
export type Verifier = (token: string) => Promise<JWTPayload>;

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
  const { key, algorithms } = verificationKey(o, option);
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
      throw refusal(e, o, requiredClaims, algorithms, accepted);
    }
  };
}

/** The 401 that says what is wrong with a token jose refused (other errors pass unchanged). */
function refusal(
  e: unknown,
  o: JwtOptions,
  requiredClaims: readonly string[],
  algorithms: readonly string[],
  accepted: string,
): unknown {
  if (e instanceof HubError) return e;
  if (e instanceof errors.JWTExpired) {
    const exp =
      typeof e.payload.exp === 'number' ? new Date(e.payload.exp * 1000).toISOString() : 'an earlier time';
    return invalidToken(
      `The token expired at ${exp}; fetch a fresh token and reconnect.`,
      { expiredAt: exp },
      'token-expired',
    );
  }
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') {
      const nbf = typeof e.payload.nbf === 'number' ? new Date(e.payload.nbf * 1000).toISOString() : 'later';
      return invalidToken(
        `The token is not valid before ${nbf}; check the clocks of the hub and the token issuer.`,
        { claim: 'nbf' },
      );
    }
    if (e.reason === 'missing') {
      return invalidToken(
        `The token has no "${e.claim}" claim; the hub requires ${requiredClaims.map((c) => `"${c}"`).join(' and ')}.`,
        { claim: e.claim },
      );
    }
    if (e.claim === 'iss' || e.claim === 'aud') {
      const want = asList(e.claim === 'iss' ? o.issuer : o.audience).join(', ');
      return invalidToken(`The token's "${e.claim}" claim is not accepted; this hub expects ${want}.`, {
        claim: e.claim,
      });
    }
    return invalidToken(`The token's "${e.claim}" claim is invalid (${e.message}).`, { claim: e.claim });
  }
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return invalidToken(`The token's algorithm is not accepted; this hub accepts only ${accepted}.`, {
      accepted: algorithms,
    });
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return invalidToken(
      'The token signature does not verify; it was not issued for this hub or was altered.',
    );
  }
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidToken("No key of the hub's JWKS matches the token's kid and algorithm; check the key set.");
  }
  if (e instanceof errors.JOSEError || e instanceof TypeError) {
    return invalidToken(
      'The token is not a well-formed JWT; send the compact "header.payload.signature" form.',
    );
  }
  return e;
}
