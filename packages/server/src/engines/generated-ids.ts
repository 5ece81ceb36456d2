import type { Cipher, Decipher } from 'node:crypto';
import { builtinModule } from './builtin-module.js';

let nodeCrypto: typeof import('node:crypto') | undefined;
/** node:crypto, fetched on first use, so importing the stores loads no Node module. */
function cryptoModule(): typeof import('node:crypto') {
  nodeCrypto ??= builtinModule<typeof import('node:crypto')>('node:crypto', 'Generated event ids');
  return nodeCrypto;
}

/** Largest first segment of a position an id can carry (48 bits: Redis' clock until year 10889). */
const MAX_HI = 2 ** 48 - 1;
/** Largest second segment (a Redis sequence number within one millisecond). */
const MAX_LO = 2 ** 32 - 1;
const ONE_SEGMENT = 1;
const TWO_SEGMENTS = 2;
/** Bytes of the random nonce a resume id carries in the clear and, encrypted, in its check field. */
const NONCE_BYTES = 5;
const EVENT_ID_CHARS = 22;
const RESUME_ID_CHARS = 28;

const POSITION = /^(\d{1,15})(?:-(\d{1,10}))?$/;
const SHAPE = /^~[A-Za-z0-9_-]{22}(?:[A-Za-z0-9_-]{6})?$/;
/** Generated ids of earlier versions (`<epoch>.<position>`), refused as supplied ids too. */
const LEGACY_SHAPE = /^[0-9a-z]{6}\.\d+(?:-\d+)?$/;

/**
 * Whether `id` has the shape of an id a store generates (now, `~` and 22 or 28 URL-safe base64
 * characters, or before, `abc123.42`). Stores refuse such ids when a publisher supplies them, so
 * that a supplied id can never be mistaken for, or pass itself off as, a position.
 */
export function hasGeneratedShape(id: string): boolean {
  return SHAPE.test(id) || LEGACY_SHAPE.test(id);
}

/** The sentence of the `400` for a supplied id that has the shape of a generated one. */
export function generatedShapeMessage(id: string): string {
  return `The id "${id}" has the shape of an id the hub generates ("~" and 22 or 28 letters, digits, "-" or "_", or "abc123.42"); choose an id of another form.`;
}

/**
 * Turns store positions into opaque ids and back, with one secret key per history.
 *
 * A position (`"1042"`, or a Redis `"1732262400000-3"`) is packed into one 16-byte block (a tag,
 * 48 + 32 bits of position, 5 check bytes) and encrypted with AES-128. So an id shows nothing of
 * the position: no count of the hub's events, no order between two ids, no time. It cannot be
 * forged either: without the key, a made-up id decrypts to a block whose check bytes match with
 * odds of about 1 in 2^47, and is then unknown. Decrypting needs no lookup, so resolving a
 * generated id stays free of any index.
 *
 * Two kinds of id, both decoded by {@link decode}:
 * - **event ids** ({@link encode}, 22 characters): deterministic, one per position, as every
 *   subscriber must see the same id for the same event;
 * - **resume ids** ({@link resumeId}, 28 characters): randomised with a nonce, for a point
 *   between events (the `connected` frame's resume point). Each call gives a different id, so
 *   nobody can tell by connecting twice whether anything was published meanwhile, nor match a
 *   resume point against the id of an event they published.
 *
 * ECB is used on purpose: every id is one block, encrypted alone; the nonce, not the mode, is what
 * makes resume ids differ.
 */
export class GeneratedIds {
  private readonly key: Buffer;
  private readonly cipher: Cipher;
  private readonly decipher: Decipher;

  /** @param key 32 hex characters (16 bytes); see {@link GeneratedIds.create} for a fresh one. */
  constructor(key: string) {
    if (!/^[0-9a-f]{32}$/.test(key)) {
      throw new RangeError('A generated-id key is 32 lowercase hex characters (16 random bytes).');
    }
    this.key = Buffer.from(key, 'hex');
    // Long-lived, unpadded ECB objects: each update() of whole blocks is answered at once, and
    // reusing them avoids a cipher set-up per id on the publish path.
    this.cipher = cryptoModule().createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    this.decipher = cryptoModule().createDecipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
  }

  /** A codec with a fresh random key. */
  static create(): GeneratedIds {
    return new GeneratedIds(GeneratedIds.newKey());
  }

  /** A fresh random key, as {@link GeneratedIds} takes it. */
  static newKey(): string {
    return cryptoModule().randomBytes(16).toString('hex');
  }

  /** The key, for another process that must produce and read the same ids (a worker). */
  exportKey(): string {
    return this.key.toString('hex');
  }

  /** The id of the event at `pos`: the same string every time. */
  encode(pos: string): string {
    return `~${this.cipher.update(pack(pos)).toString('base64url')}`;
  }

  /** {@link encode} for many positions in one cipher call (a page of history). */
  encodeAll(positions: readonly string[]): string[] {
    if (positions.length === 0) return [];
    const blocks = Buffer.alloc(16 * positions.length);
    positions.forEach((p, i) => {
      pack(p, blocks, 16 * i);
    });
    const out = this.cipher.update(blocks);
    return positions.map((_, i) => `~${out.subarray(16 * i, 16 * i + 16).toString('base64url')}`);
  }

  /** A resume point at `pos` that is not an event's id: a different string on every call. */
  resumeId(pos: string): string {
    const nonce = cryptoModule().randomBytes(NONCE_BYTES);
    const block = pack(pos);
    nonce.copy(block, 16 - NONCE_BYTES);
    return `~${Buffer.concat([nonce, this.cipher.update(block)]).toString('base64url')}`;
  }

  /** The position an id of this codec stands for, or undefined for any other string. */
  decode(id: string): string | undefined {
    if (!SHAPE.test(id)) return undefined;
    const raw = Buffer.from(id.slice(1), 'base64url');
    // One spelling per id: the unused low bits of the last character must be zero.
    if (raw.toString('base64url') !== id.slice(1)) return undefined;
    let nonce: Buffer | undefined;
    let sealed = raw;
    if (id.length === 1 + RESUME_ID_CHARS) {
      nonce = raw.subarray(0, NONCE_BYTES);
      sealed = raw.subarray(NONCE_BYTES);
    } else if (id.length !== 1 + EVENT_ID_CHARS) {
      return undefined;
    }
    if (sealed.length !== 16) return undefined;
    const block = this.decipher.update(sealed);
    for (let i = 0; i < NONCE_BYTES; i++) {
      if (block[16 - NONCE_BYTES + i] !== (nonce ? nonce[i] : 0)) return undefined;
    }
    const tag = block[0];
    const hi = block.readUIntBE(1, 6);
    const lo = block.readUInt32BE(7);
    if (tag === ONE_SEGMENT && lo === 0) return String(hi);
    if (tag === TWO_SEGMENTS) return `${hi}-${lo}`;
    return undefined;
  }
}

/**
 * The plaintext block of a position: tag, 48-bit first segment, 32-bit second, 5 zero bytes;
 * written at `offset` of `into` (zeroed), or in a new buffer.
 */
function pack(pos: string, into: Buffer = Buffer.alloc(16), offset = 0): Buffer {
  const m = POSITION.exec(pos);
  const hi = m ? Number(m[1]) : Number.NaN;
  const lo = m?.[2] === undefined ? 0 : Number(m[2]);
  if (!m || hi > MAX_HI || lo > MAX_LO) {
    throw new RangeError(
      `Position "${pos}" cannot be turned into an id: it must be "<n>" or "<n>-<m>" below 2^48 and 2^32.`,
    );
  }
  into[offset] = m[2] === undefined ? ONE_SEGMENT : TWO_SEGMENTS;
  into.writeUIntBE(hi, offset + 1, 6);
  into.writeUInt32BE(lo, offset + 7);
  return into;
}
