import { type RedisKeys, redisKeys } from '../redis/keys.js';

/** Hash slots of a Redis Cluster. */
const SLOTS = 16384;

/** CRC16-XMODEM, the hash Redis Cluster maps keys to slots with (slot = crc16(tag) mod 16384). */
export function keySlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % SLOTS;
}

/** FNV-1a, 32 bits: which shard a topic lives in (stable across nodes, processes and versions). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * How a sharded history lays out its keys on a Redis Cluster: `shards` shard groups, each a whole
 * single-Redis history (topic streams, id index, fan-out stream…) under its own hash tag, so each
 * lives in one slot and its Lua scripts stay atomic; a topic belongs to one shard by a hash of its
 * name. The tags are chosen so that shard `i` falls in the `i`-th equal range of slots: a cluster
 * whose slots are split evenly over its primaries (as `redis-cli --cluster create` does) gets the
 * shards evenly too. Revocations, presence and control messages live under the plain prefix.
 *
 * The shard count is part of the data layout: every node of a hub uses the same, and changing it
 * means a new key prefix (a topic would otherwise look for its history in another shard).
 */
export class ShardMap {
  /** Keys of each shard. */
  readonly shards: readonly RedisKeys[];
  /** Keys of revocations, presence and control messages (`{prefix}:…`). */
  readonly meta: RedisKeys;
  /** The hash slot of each shard. */
  readonly slots: readonly number[];

  constructor(
    readonly prefix: string,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1 || count > 1024) {
      throw new RangeError(`The shard count must be a whole number from 1 to 1024, not ${count}.`);
    }
    this.meta = redisKeys(prefix);
    const shards: RedisKeys[] = [];
    const slots: number[] = [];
    for (let i = 0; i < count; i++) {
      const lo = Math.floor((i * SLOTS) / count);
      const hi = Math.floor(((i + 1) * SLOTS) / count);
      // The first tag of the form "<prefix>.s<i>.<k>" that hashes into the shard's slot range:
      // deterministic, so every node finds the same.
      for (let k = 0; ; k++) {
        const tag = `${prefix}.s${i}.${k}`;
        const slot = keySlot(tag);
        if (slot >= lo && slot < hi) {
          shards.push(redisKeys(tag));
          slots.push(slot);
          break;
        }
      }
    }
    this.shards = shards;
    this.slots = slots;
  }

  /** The shard of a topic. */
  shardOf(topic: string): number {
    return this.count === 1 ? 0 : fnv1a(topic) % this.count;
  }
}
