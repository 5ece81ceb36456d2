import { createLocalJWKSet, importSPKI, type JWTVerifyGetKey } from 'jose';
import { requireBuiltin } from '../core/node-builtins.js';
import type { JwtOptions } from './auth-options.js';
import { invalidToken } from './invalid-token.js';
import { checkKeySet, keySetAlgorithms } from './key-set.js';

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

type CryptoKeyLike = Awaited<ReturnType<typeof importSPKI>>;

/** The key a token's signature is checked with, and the algorithms it may be signed with. */
export interface VerificationKey {
  /** Picks the key for a token's header (its `alg`, and with a JWKS its `kid`). */
  readonly key: JWTVerifyGetKey;
  /** The accepted algorithms: the option's, else the usual ones of the key. */
  readonly algorithms: string[];
}

/**
 * Loads the key of {@link JwtOptions} (a shared secret, a PEM public key or a JWKS) and settles
 * the algorithms it may verify.
 * @param option how error messages name the options, e.g. `"Auth option jwt"`.
 * @throws {RangeError} naming the option when not exactly one key is given, the secret is short,
 *   the public key is a private key or no PEM, or an algorithm does not fit the key.
 */
export function verificationKey(o: JwtOptions, option: string): VerificationKey {
  const given = [o.secret !== undefined, o.publicKey !== undefined, o.jwks !== undefined].filter(
    Boolean,
  ).length;
  if (given !== 1) {
    throw new RangeError(`${option} needs exactly one of secret, publicKey or jwks.`);
  }
  if (o.secret !== undefined) return secretKey(o.secret, o.algorithms, option);
  const loaded = o.publicKey !== undefined ? pemKey(o.publicKey, o.algorithms, option) : jwksKey(o, option);
  for (const a of loaded.algorithms) {
    if (!ASYMMETRIC.has(a)) {
      throw new RangeError(
        `${option}.algorithms has "${a}", which is not a public-key algorithm; use RS256 or ES256.`,
      );
    }
  }
  return loaded;
}

function secretKey(
  secret: string | Uint8Array,
  wanted: readonly string[] | undefined,
  option: string,
): VerificationKey {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < 32) {
    throw new RangeError(
      `${option}.secret is ${bytes.byteLength} bytes; HS256 needs at least 32. Generate one with "openssl rand -base64 48".`,
    );
  }
  // Imported once per algorithm: jose would otherwise import the raw secret on every verify.
  const hmacKeys = new Map<string, Promise<CryptoKeyLike>>();
  const raw = new Uint8Array(bytes); // a copy on a plain ArrayBuffer, as WebCrypto's types want
  const key: JWTVerifyGetKey = (header) => {
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
  const algorithms = [...(wanted ?? ['HS256'])];
  for (const a of algorithms) {
    if (!HMAC.has(a)) {
      throw new RangeError(
        `${option}.algorithms has "${a}", which cannot be used with a shared secret; use HS256.`,
      );
    }
  }
  return { key, algorithms };
}

function pemKey(pem: string, wanted: readonly string[] | undefined, option: string): VerificationKey {
  // node would derive the public half of a private key silently; the private key then sits
  // in the hub's configuration, where it does not belong.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(String(pem))) {
    throw new RangeError(
      `${option}.publicKey is a private key; give the hub only the public half (openssl pkey -in key.pem -pubout) and keep the private key with the token issuer.`,
    );
  }
  let type: string | undefined;
  try {
    type = requireBuiltin('node:crypto', 'Reading a PEM key').createPublicKey(pem).asymmetricKeyType;
  } catch (e) {
    throw new RangeError(`${option}.publicKey is not a PEM public key (${(e as Error).message}).`);
  }
  const algorithms = [...(wanted ?? (type === 'rsa' ? ['RS256'] : type === 'ec' ? ['ES256'] : ['EdDSA']))];
  const cache = new Map<string, ReturnType<typeof importSPKI>>();
  const key: JWTVerifyGetKey = async (header) => {
    const alg = header.alg as string;
    let k = cache.get(alg);
    if (!k) {
      k = importSPKI(pem, alg);
      cache.set(alg, k);
    }
    try {
      return await k;
    } catch {
      throw invalidToken(`The token is signed with ${alg}, which does not fit the hub's public key.`, {
        alg,
      });
    }
  };
  return { key, algorithms };
}

function jwksKey(o: JwtOptions, option: string): VerificationKey {
  // Checked here, at start: a bad key would otherwise fail every token later.
  checkKeySet(o.jwks, `${option}.jwks`);
  return { key: createLocalJWKSet(o.jwks), algorithms: [...(o.algorithms ?? keySetAlgorithms(o.jwks))] };
}
