import { comparePositions } from '@tidings/protocol';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import { CLOCK } from '../redis/lua-fanout.js';
import { LuaScript } from '../redis/lua-script.js';

const clockScript = new LuaScript(CLOCK);

/** A fan-out entry as XRANGE returns it. */
export type FanoutEntry = [id: string, fields: string[]];

/** What {@link shardClock} learned of a shard. */
export interface ShardTime {
  /** Everything of the shard up to here is known; later positions exceed it. */
  readonly watermark: string;
  /** The shard's newest position (`"0-0"` when none). */
  readonly last: string;
  /** Fan-out entries after the cursor, when one was given. */
  readonly entries: FanoutEntry[];
}

/**
 * Runs the CLOCK script on one shard (see lua-fanout.ts): its watermark and newest position,
 * raising its floor to `need` when `force` is set or its clock is behind `need`.
 */
export async function shardClock(
  client: Redis,
  keys: RedisKeys,
  need = '',
  force = false,
  cursor = '',
  count = 1000,
): Promise<ShardTime> {
  const [watermark, last, entries] = (await clockScript.run(
    client,
    [keys.fanout],
    [keys.base, need, cursor, count, force ? '1' : '0'],
  )) as [string, string, FanoutEntry[]];
  return { watermark, last, entries };
}

/** The higher of two positions. */
export function maxPos(a: string, b: string): string {
  return comparePositions(a, b) >= 0 ? a : b;
}
