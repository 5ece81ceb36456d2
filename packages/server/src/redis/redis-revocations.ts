import type { RevocationStore } from '../engine.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { LuaScript, REVOKE } from './lua.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

/** Options of {@link RedisRevocationStore}. */
export interface RedisRevocationOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
}

/**
 * Revoked tokens and sessions, shared by every node: one key per revocation that Redis expires
 * when the token would have expired anyway (`SET … PXAT`, keeping the later time when a key is
 * revoked twice), so the set never grows without bound. Expiry runs on Redis' clock.
 *
 * While Redis is unreachable both methods reject with a 503 `HubError`; the caller decides
 * whether to refuse the request (the safe choice for auth).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  private readonly ownsLink: boolean;
  private readonly revokeScript = new LuaScript(REVOKE);

  constructor(options: RedisRevocationOptions, link?: RedisLink) {
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-revocations');
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    if (!Number.isFinite(untilMs))
      throw new RangeError(`untilMs must be an epoch time in ms, not ${untilMs}.`);
    if (untilMs <= Date.now()) return; // already expired: nothing left to refuse
    this.link.assertUp('the revocation was not recorded');
    try {
      await this.revokeScript.run(this.link.client, [this.keys.revoked(key)], [Math.ceil(untilMs)]);
    } catch (err) {
      throw this.link.failure(err, 'the revocation was not recorded');
    }
  }

  async isRevoked(key: string): Promise<boolean> {
    this.link.assertUp('revocations cannot be checked');
    try {
      return (await this.link.client.exists(this.keys.revoked(key))) === 1;
    } catch (err) {
      throw this.link.failure(err, 'revocations cannot be checked');
    }
  }

  async close(): Promise<void> {
    if (this.ownsLink) await this.link.close();
  }
}
