/**
 * Every Redis key a Tidings cluster uses, under one prefix. The prefix is wrapped in a hash tag
 * (`{tidings}:…`) so all keys hash to one slot: the Lua scripts touch several keys atomically,
 * which Redis Cluster only allows within a slot.
 */
export interface RedisKeys {
  /** `{prefix}:` — what every key starts with (also passed to the Lua scripts). */
  readonly base: string;
  /** String: this history's epoch, the first part of every generated id. Regenerated if Redis loses it. */
  readonly epoch: string;
  /** String: the newest position handed out (`ms-seq`). */
  readonly last: string;
  /**
   * String, sharded histories only: a position every later one of this shard exceeds, raised so
   * that positions of several shards compare as one order (see `redisClusterEngine`).
   */
  readonly floor: string;
  /**
   * String with a TTL: the current epoch, when a node saw Redis lose the previous one (a
   * recovery). While it is set, an unknown id counts as one of the lost history.
   */
  readonly recovered: string;
  /**
   * Hash: `"<topic>\n<supplied id>"` → lines `"<pos> <publisher>"`, for idempotency (per
   * publisher and topic) and resume (on the topics a stream covers).
   */
  readonly ids: string;
  /** String: the secret key of this history's generated ids (see `GeneratedIds`). */
  readonly idKey: string;
  /** Sorted set, all scores 0: every topic with history, ordered by name for pattern lookups. */
  readonly topics: string;
  /** Sorted set: topic → `ts` of its oldest retained event, for age-based retention. */
  readonly ages: string;
  /** Hash: topic → the highest position retention removed from it. */
  readonly evicted: string;
  /**
   * Sorted set: topic → the ms part of its newest position, so a wildcard read finds the topics
   * with events after a position without listing every topic.
   */
  readonly recent: string;
  /** Sorted set: topic → the ms part of its eviction watermark, for the same reason. */
  readonly evictedAt: string;
  /** Hash: age limit (ms) → highest watermark of a topic pruned because retention emptied it. */
  readonly pruned: string;
  /** String: set once `recent` and `evictedAt` hold every topic (filled from older data). */
  readonly indexed: string;
  /** Stream: every new event in position order, read by every node for live fan-out. */
  readonly fanout: string;
  /** Stream: control messages between nodes. */
  readonly control: string;
  /** String: id of the newest control message. */
  readonly controlLast: string;
  /** String with a TTL: held by the node that runs the age sweep. */
  readonly pruneLock: string;
  /** Sorted set: wildcard patterns with present subscribers → expiry (ms). */
  readonly presencePatterns: string;
  /** Stream of one topic's history; entry ids are positions. */
  stream(topic: string): string;
  /** Sorted set of the connections subscribed to a topic or pattern → expiry (ms). */
  presence(topicOrPattern: string): string;
  /** Marker of a revoked token or session. */
  revoked(key: string): string;
  /** String with a TTL: the cut-off time (epoch ms) of credentials issued before a logout. */
  cutoff(key: string): string;
  /** Sorted set: every revocation key (`r:<key>` or `c:<key>`) → its expiry (ms), for mirrors. */
  readonly revocationIndex: string;
  /** String: bumped on every revocation, so a mirror knows when to read the index again. */
  readonly revocationVersion: string;
}

/**
 * The keys under `prefix`.
 * @throws {RangeError} when the prefix is empty or contains a brace (it is used as a hash tag).
 */
export function redisKeys(prefix: string): RedisKeys {
  if (!prefix || /[{}\s]/.test(prefix)) {
    throw new RangeError(
      `The Redis key prefix must be a non-empty word without braces or spaces, such as "tidings"; got "${prefix}".`,
    );
  }
  const base = `{${prefix}}:`;
  return {
    base,
    epoch: `${base}epoch`,
    last: `${base}last`,
    floor: `${base}floor`,
    recovered: `${base}recovered`,
    ids: `${base}ids`,
    idKey: `${base}idkey`,
    topics: `${base}topics`,
    ages: `${base}ages`,
    evicted: `${base}evicted`,
    recent: `${base}recent`,
    evictedAt: `${base}evicted-at`,
    pruned: `${base}pruned`,
    indexed: `${base}indexed-v1`,
    fanout: `${base}fanout`,
    control: `${base}control`,
    controlLast: `${base}clast`,
    pruneLock: `${base}prune-lock`,
    presencePatterns: `${base}pres-patterns`,
    stream: (topic) => `${base}t:${topic}`,
    presence: (t) => `${base}pres:${t}`,
    revoked: (key) => `${base}rev:${key}`,
    cutoff: (key) => `${base}cut:${key}`,
    revocationIndex: `${base}rev-index`,
    revocationVersion: `${base}rev-version`,
  };
}
