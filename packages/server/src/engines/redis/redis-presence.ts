import { isWildcardPattern } from '@tidings/protocol';
import type { PresenceCount, PresenceEntry, PresenceStore } from '../presence-store.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { PRESENCE_ANNOUNCE, PRESENCE_QUERY } from './lua-presence.js';
import { LuaScript } from './lua-script.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

/** Options of {@link RedisPresence}. */
export interface RedisPresenceOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
  /**
   * How long a connection stays present without being announced again: the longest a dead
   * node's connections are still counted. Nodes re-announce every third of it.
   * @defaultValue 30000
   */
  ttlMs?: number | undefined;
}

/**
 * Cluster-wide presence in Redis: one sorted set per topic or pattern, members are
 * `[connectionId, user]` scored by their expiry on Redis' clock (so node clocks do not matter).
 * Nodes re-announce their connections every `ttlMs / 3`; a node that dies simply stops, and its
 * connections drop out of every count within `ttlMs`. Wildcard subscriptions are listed in a
 * sorted set of live patterns, and a query adds the members of each pattern matching the topic.
 */
export class RedisPresence implements PresenceStore {
  readonly kind = 'redis';
  readonly refreshMs: number;
  readonly ttlMs: number;
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  private readonly ownsLink: boolean;
  private readonly announceScript = new LuaScript(PRESENCE_ANNOUNCE);
  private readonly queryScript = new LuaScript(PRESENCE_QUERY);

  constructor(options: RedisPresenceOptions, link?: RedisLink) {
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 300) {
      throw new RangeError(`The presence TTL must be at least 300 ms, not ${options.ttlMs}.`);
    }
    this.refreshMs = Math.floor(this.ttlMs / 3);
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-presence');
  }

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const args: (string | number)[] = [this.keys.base, this.ttlMs];
    for (const e of entries) {
      const member = JSON.stringify([e.connectionId, e.user ?? null]);
      for (const t of e.topics) args.push(t, member, isWildcardPattern(t) ? '1' : '0');
    }
    this.link.assertUp('presence was not updated');
    try {
      await this.announceScript.run(this.link.client, [this.keys.presencePatterns], args);
    } catch (err) {
      throw this.link.failure(err, 'presence was not updated');
    }
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.link.assertUp('presence was not updated');
    const pipe = this.link.client.pipeline();
    for (const e of entries) {
      const member = JSON.stringify([e.connectionId, e.user ?? null]);
      for (const t of e.topics) pipe.zrem(this.keys.presence(t), member);
    }
    try {
      const results = (await pipe.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      throw this.link.failure(err, 'presence was not updated');
    }
  }

  async query(topic: string): Promise<PresenceCount> {
    this.link.assertUp('presence cannot be counted');
    let members: string[];
    try {
      members = (await this.queryScript.run(
        this.link.client,
        [this.keys.presencePatterns],
        [this.keys.base, topic],
      )) as string[];
    } catch (err) {
      throw this.link.failure(err, 'presence cannot be counted');
    }
    // A connection subscribed by name and by a pattern (or by two patterns) counts once.
    const conns = new Set<string>();
    const users = new Set<string>();
    for (const m of members) {
      const [conn, user] = JSON.parse(m) as [string, string | null];
      conns.add(conn);
      if (user !== null) users.add(user);
    }
    return { connections: conns.size, users: [...users].sort() };
  }

  async close(): Promise<void> {
    if (this.ownsLink) await this.link.close();
  }
}
