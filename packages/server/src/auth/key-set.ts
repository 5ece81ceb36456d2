import type { KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { requireBuiltin } from '../core/node-builtins.js';

/** Most keys in a key set the hub accepts: rotation needs two or three, not thousands. */
export const MAX_KEY_SET_KEYS = 100;

/** Largest key set the hub accepts, in bytes of JSON: 100 RSA-4096 keys fit well within it. */
export const MAX_KEY_SET_BYTES = 256 * 1024;

/** Members of a JWK that only a private (or secret) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Curves each key type may use, for the algorithms the hub verifies (RS*, PS*, ES*, EdDSA). */
const CURVES: Record<string, readonly string[] | undefined> = {
  EC: ['P-256', 'P-384', 'P-521'],
  OKP: ['Ed25519'],
};

/** Algorithms a key may name in `alg`, by key type. */
const ALGORITHMS: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA', 'Ed25519'],
};

/**
 * The algorithms a checked key set can verify: each key's `alg`, else the usual one of its type
 * (RS256, ES256/ES384/ES512 after the curve, EdDSA).
 */
export function keySetAlgorithms(set: JSONWebKeySet): string[] {
  const out = new Set<string>();
  for (const k of set.keys) {
    if (typeof k.alg === 'string') out.add(k.alg);
    else if (k.kty === 'RSA') out.add('RS256');
    else if (k.kty === 'OKP') out.add('EdDSA');
    else if (k.kty === 'EC') out.add(k.crv === 'P-384' ? 'ES384' : k.crv === 'P-521' ? 'ES512' : 'ES256');
  }
  return [...out];
}

/**
 * Checks a JSON Web Key Set before a hub verifies tokens with it, so that a bad set stops the
 * start with a sentence instead of answering every token with an error later. A set is refused
 * when it is not `{"keys": [...]}`, is empty, has more than {@link MAX_KEY_SET_KEYS} keys or more
 * than {@link MAX_KEY_SET_BYTES} bytes of JSON, or when one of its keys
 * - holds private or secret material (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`): a key set is
 *   public, and a symmetric (`oct`) key in it would let anyone who reads it sign tokens;
 * - has a type other than RSA, EC or OKP, or a curve other than P-256, P-384, P-521 or Ed25519;
 * - is an RSA key of fewer than 2048 bits (which the verifier would refuse for every token);
 * - says it is not for signatures (`use` other than `sig`, `key_ops` without `verify`), names an
 *   `alg` that does not fit its type, or shares its `kid` with another key;
 * - does not import as a public key (a malformed modulus, a point off the curve).
 * @param name how the message names the set, e.g. `Auth option jwt.jwks` or `--jwks-file "keys.json"`.
 * @throws {RangeError} whose message says which key is refused, why, and what to do.
 */
export function checkKeySet(set: unknown, name: string): asserts set is JSONWebKeySet {
  if (typeof set !== 'object' || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
    throw new RangeError(`${name} must be a key set such as {"keys":[{"kty":"RSA",...}]}.`);
  }
  const keys = (set as { keys: unknown[] }).keys;
  if (keys.length === 0) {
    throw new RangeError(
      `${name} has no keys, so no token could ever verify; add the public key(s) your token issuer signs with.`,
    );
  }
  if (keys.length > MAX_KEY_SET_KEYS) {
    throw new RangeError(
      `${name} has ${keys.length} keys; the hub accepts at most ${MAX_KEY_SET_KEYS}. Keep only the keys in use (the current one and the one being rotated out).`,
    );
  }
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(set));
  } catch {
    throw new RangeError(`${name} cannot be written as JSON; give it as parsed JSON.`);
  }
  if (bytes > MAX_KEY_SET_BYTES) {
    throw new RangeError(
      `${name} is ${bytes} bytes; the hub accepts key sets of at most ${MAX_KEY_SET_BYTES} bytes. Keep only the public keys in use.`,
    );
  }
  const kids = new Set<string>();
  keys.forEach((key, i) => {
    const which = (k: { kid?: unknown }) =>
      typeof k.kid === 'string'
        ? `Key ${i + 1} (kid "${k.kid.slice(0, 64)}") of ${name}`
        : `Key ${i + 1} of ${name}`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      throw new RangeError(
        `Key ${i + 1} of ${name} is not a JSON object; each key is a JWK such as {"kty":"EC",...}.`,
      );
    }
    const k = key as Record<string, unknown>;
    const at = which(k);
    const secret = PRIVATE_MEMBERS.filter((m) => m in k);
    if (secret.length > 0) {
      throw new RangeError(
        k.kty === 'oct'
          ? `${at} is a symmetric ("oct") key: anyone who can read the key set could sign tokens. Give a shared secret as a secret (--jwt-secret-file), and only public keys in a key set.`
          : `${at} holds private key material (${secret.map((m) => `"${m}"`).join(', ')}); a key set must hold only the public half. Export the public key (remove ${secret.join(', ')}) and keep the private key with the token issuer.`,
      );
    }
    if (typeof k.kty !== 'string' || !(k.kty in ALGORITHMS)) {
      throw new RangeError(
        `${at} has the key type ${JSON.stringify(k.kty ?? null)?.slice(0, 40)}; the hub verifies with RSA, EC (P-256, P-384, P-521) or OKP (Ed25519) public keys.`,
      );
    }
    const curves = CURVES[k.kty];
    if (curves && !curves.includes(k.crv as string)) {
      throw new RangeError(
        `${at} uses the curve ${JSON.stringify(k.crv ?? null)?.slice(0, 40)}; ${k.kty} keys must use ${curves.join(', ')}.`,
      );
    }
    if (k.kid !== undefined) {
      if (typeof k.kid !== 'string' || k.kid.length === 0 || k.kid.length > 256) {
        throw new RangeError(
          `${at} has a "kid" that is not a string of 1 to 256 characters; fix or remove it.`,
        );
      }
      if (kids.has(k.kid)) {
        throw new RangeError(
          `${at} has the same kid as an earlier key, so tokens naming it could not choose; give every key its own kid.`,
        );
      }
      kids.add(k.kid);
    }
    if (k.use !== undefined && k.use !== 'sig') {
      throw new RangeError(
        `${at} has "use": ${JSON.stringify(k.use)?.slice(0, 40)}; keys that verify tokens have "use": "sig".`,
      );
    }
    if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
      throw new RangeError(`${at} has "key_ops" without "verify"; add "verify" or remove key_ops.`);
    }
    const algs = ALGORITHMS[k.kty] as readonly string[];
    if (k.alg !== undefined && !algs.includes(k.alg as string)) {
      throw new RangeError(
        `${at} names the algorithm ${JSON.stringify(k.alg)?.slice(0, 40)}, which does not fit this ${k.kty} key; use one of ${algs.join(', ')}, or remove alg.`,
      );
    }
    let imported: KeyObject;
    try {
      imported = requireBuiltin('node:crypto', 'Checking a key set').createPublicKey({
        key: k as never,
        format: 'jwk',
      });
    } catch (e) {
      throw new RangeError(
        `${at} is not a valid ${k.kty} public key (${(e as Error).message.slice(0, 120)}); export it again from the token issuer.`,
      );
    }
    const bits = imported.asymmetricKeyDetails?.modulusLength;
    if (k.kty === 'RSA' && bits !== undefined && bits < 2048) {
      throw new RangeError(
        `${at} is an RSA key of ${bits} bits; RSA keys must have at least 2048 bits. Have the token issuer sign with a larger key.`,
      );
    }
  });
}
