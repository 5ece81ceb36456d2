import type { KV } from '@nats-io/kv';
import type { RevocationStore } from '../engine.js';
import { keyToken, LazyBucket } from './nats-kv.js';
import type { NatsLink } from './nats-link.js';

/** Options of {@link NatsRevocationStore}. */
export interface NatsRevocationOptions {
  /** The KV bucket. */
  readonly bucket: string;
  /** Copies of each entry in a clustered JetStream. @defaultValue 1 */
  readonly replicas?: number | undefined;
  /** Clock in epoch ms, injectable for tests. @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
}

/** Attempts at a compare-and-set against other nodes writing the same entry. */
const CAS_ATTEMPTS = 20;

/**
 * Revocations in a NATS KV bucket shared by every node: `k.<key>` holds the time a revoked key
 * is refused until, `u.<key>` a user's cut-off and its end (`<issuedUpTo>:<until>`). Writes are
 * compare-and-set on the entry's revision, so two nodes revoking at once both keep the later
 * times. An entry past its time counts as absent, and the next write for its key replaces it.
 */
export class NatsRevocationStore implements RevocationStore {
  private readonly bucket: LazyBucket;
  private readonly now: () => number;

  constructor(
    private readonly link: NatsLink,
    options: NatsRevocationOptions,
    private readonly ownsLink = false,
  ) {
    this.bucket = new LazyBucket(link, options.bucket, { replicas: options.replicas ?? 1 });
    this.now = options.now ?? Date.now;
  }

  /** The live numbers of an entry and its revision (0 when absent or expired). */
  private async read(kv: KV, key: string): Promise<{ nums: number[] | undefined; revision: number }> {
    const e = await kv.get(key);
    if (e?.operation !== 'PUT') return { nums: undefined, revision: e?.revision ?? 0 };
    const nums = e.string().split(':').map(Number);
    const until = nums[nums.length - 1] as number;
    if (!(until > this.now())) return { nums: undefined, revision: e.revision };
    return { nums, revision: e.revision };
  }

  private async write(key: string, merge: (old: number[] | undefined) => number[] | undefined) {
    const consequence = 'the revocation was not stored';
    const kv = await this.bucket.get(consequence);
    try {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const { nums, revision } = await this.read(kv, key);
        const next = merge(nums);
        if (!next) return;
        try {
          if (revision === 0) await kv.create(key, next.join(':'));
          else await kv.update(key, next.join(':'), revision);
          return;
        } catch (err) {
          // Another node wrote the entry since it was read: read it again.
          if (!/wrong last sequence|key exists/i.test(String(err))) throw err;
        }
      }
      throw new Error('other nodes kept changing the same revocation');
    } catch (err) {
      throw this.link.failure(err, consequence);
    }
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    await this.write(`k.${keyToken(key)}`, (old) =>
      old && (old[0] as number) >= untilMs ? undefined : [untilMs],
    );
  }

  async isRevoked(key: string): Promise<boolean> {
    const kv = await this.bucket.get('the revocation cannot be checked');
    try {
      return (await this.read(kv, `k.${keyToken(key)}`)).nums !== undefined;
    } catch (err) {
      throw this.link.failure(err, 'the revocation cannot be checked');
    }
  }

  async revokeIssuedUpTo(key: string, issuedUpToMs: number, untilMs: number): Promise<void> {
    await this.write(`u.${keyToken(key)}`, (old) => {
      const upTo = Math.max(old?.[0] ?? issuedUpToMs, issuedUpToMs);
      const until = Math.max(old?.[1] ?? untilMs, untilMs);
      return old && old[0] === upTo && old[1] === until ? undefined : [upTo, until];
    });
  }

  async issuedUpTo(key: string): Promise<number | undefined> {
    const kv = await this.bucket.get('the revocation cannot be checked');
    try {
      return (await this.read(kv, `u.${keyToken(key)}`)).nums?.[0];
    } catch (err) {
      throw this.link.failure(err, 'the revocation cannot be checked');
    }
  }

  /** Closes the link when the store has one of its own. */
  async close(): Promise<void> {
    if (this.ownsLink) await this.link.close();
  }
}
