import { isWildcardPattern, matchTopic } from '@tidings/protocol';
import type { PresenceCount, PresenceEntry, PresenceStore } from '../presence-store.js';
import { fromKeyToken, keyToken, LazyBucket } from './nats-kv.js';
import type { NatsLink } from './nats-link.js';

/** Options of {@link NatsPresence}. */
export interface NatsPresenceOptions {
  /** The KV bucket. */
  readonly bucket: string;
  /**
   * How long a connection stays present without being announced again: the longest a dead
   * node's connections are still counted. Nodes re-announce every third of it.
   * @defaultValue 30000
   */
  readonly ttlMs?: number | undefined;
  /** Copies of each entry in a clustered JetStream. @defaultValue 1 */
  readonly replicas?: number | undefined;
}

/**
 * Cluster-wide presence in a NATS KV bucket whose entries expire `ttlMs` after they were last
 * written (the bucket's age limit): one key per connection and topic,
 * `x.<topic>.<connection>.<user>` for a topic and `w.<pattern>.<connection>.<user>` for a
 * wildcard pattern (each part base64url). A query lists the keys of its topic and of every
 * live pattern, keys only: it never reads a value.
 */
export class NatsPresence implements PresenceStore {
  readonly kind = 'nats';
  readonly refreshMs: number;
  readonly ttlMs: number;
  private readonly bucket: LazyBucket;

  constructor(
    private readonly link: NatsLink,
    options: NatsPresenceOptions,
    private readonly ownsLink = false,
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 300) {
      throw new RangeError(`The presence TTL must be at least 300 ms, not ${options.ttlMs}.`);
    }
    this.refreshMs = Math.floor(this.ttlMs / 3);
    this.bucket = new LazyBucket(link, options.bucket, {
      ttlMs: this.ttlMs,
      replicas: options.replicas ?? 1,
    });
  }

  private static keys(e: PresenceEntry): string[] {
    const tail = `${keyToken(e.connectionId)}.${e.user === undefined ? 'n' : `u${keyToken(e.user)}`}`;
    return e.topics.map((t) => `${isWildcardPattern(t) ? 'w' : 'x'}.${keyToken(t)}.${tail}`);
  }

  async announce(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const kv = await this.bucket.get('presence was not updated');
    try {
      await Promise.all(entries.flatMap((e) => NatsPresence.keys(e).map((k) => kv.put(k, ''))));
    } catch (err) {
      throw this.link.failure(err, 'presence was not updated');
    }
  }

  async withdraw(entries: readonly PresenceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const kv = await this.bucket.get('presence was not updated');
    try {
      await Promise.all(entries.flatMap((e) => NatsPresence.keys(e).map((k) => kv.purge(k))));
    } catch (err) {
      throw this.link.failure(err, 'presence was not updated');
    }
  }

  async query(topic: string): Promise<PresenceCount> {
    const kv = await this.bucket.get('presence cannot be counted');
    const connections = new Set<string>();
    const users = new Set<string>();
    try {
      for (const filter of [`x.${keyToken(topic)}.>`, 'w.>']) {
        for await (const key of await kv.keys(filter)) {
          const [kind, sub, conn, user] = key.split('.');
          if (!sub || !conn || !user) continue;
          if (kind === 'w' && !matchTopic(fromKeyToken(sub), topic)) continue;
          connections.add(conn);
          if (user.startsWith('u')) users.add(fromKeyToken(user.slice(1)));
        }
      }
    } catch (err) {
      throw this.link.failure(err, 'presence cannot be counted');
    }
    return { connections: connections.size, users: [...users].sort() };
  }

  /** Closes the link when the store has one of its own. */
  async close(): Promise<void> {
    if (this.ownsLink) await this.link.close();
  }
}
