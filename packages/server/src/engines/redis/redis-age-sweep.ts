import { newEpoch, type RetentionPolicy } from '../retention.js';
import type { RedisKeys } from './keys.js';
import { PRUNE } from './lua-retention.js';
import { LuaScript } from './lua-script.js';
import type { RedisLink } from './redis-link.js';

/** Age retention of the Redis history, run by one node per interval (the one that takes the lock). */
export class RedisAgeSweep {
  private readonly pruneScript = new LuaScript(PRUNE);
  private readonly lockToken = newEpoch() + newEpoch();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly policy: RetentionPolicy,
    private readonly now: () => number,
    private readonly isClosed: () => boolean,
  ) {}

  /** The timer's sweep: one node per interval does it, whichever takes the lock. */
  async sweepOnce(): Promise<void> {
    if (this.isClosed() || !this.link.ready) return;
    const got = await this.link.client.set(
      this.keys.pruneLock,
      this.lockToken,
      'PX',
      this.policy.sweepIntervalMs(),
      'NX',
    );
    if (got === 'OK') await this.pruneByAge();
  }

  async pruneByAge(): Promise<void> {
    const now = this.now();
    const shortest = Math.min(...this.policy.ageLimits());
    // Topics whose oldest event is older than the shortest age limit; each then gets its own.
    const candidates: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.link.client.zrangebyscore(
        this.keys.ages,
        '-inf',
        `(${now - shortest}`,
        'LIMIT',
        offset,
        1000,
      );
      candidates.push(...page);
      if (page.length < 1000) break;
    }
    for (let i = 0; i < candidates.length; i += 200) {
      const args: (string | number)[] = [this.keys.base];
      for (const topic of candidates.slice(i, i + 200)) {
        const age = this.policy.for(topic).maxAgeMs;
        args.push(topic, now - age, age);
      }
      await this.pruneScript.run(this.link.client, [this.keys.ages], args);
    }
  }
}
