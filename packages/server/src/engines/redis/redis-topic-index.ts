import type { Redis } from 'ioredis';
import type { TopicFilter } from '../history-store.js';
import type { RedisKeys } from './keys.js';
import { INDEX_TOPICS } from './lua-retention.js';
import { LuaScript } from './lua-script.js';

/** Topics one read script covers, so no single script holds Redis for long. */
export const TOPICS_PER_SCRIPT = 500;
/** Topic names fetched per page when listing topics. */
const PAGE = 5000;

/**
 * The topics of the Redis history a read or an id lookup visits: exact topics, and for patterns
 * the stored topics under their literal prefix or those with events or losses after the resume
 * point, whichever are fewer, never every topic.
 */
export class RedisTopicIndex {
  private readonly indexScript = new LuaScript(INDEX_TOPICS);
  /** Resolves once `recent` and `evicted-at` cover every topic (older data is indexed once). */
  private indexing: Promise<void> | undefined;

  constructor(
    private readonly keys: RedisKeys,
    private readonly client: () => Redis,
  ) {}

  /**
   * Exact topics plus the stored topics a pattern matches that may hold events or losses after
   * `from`. Each pattern lists whichever is smaller: the topics under its literal prefix, or the
   * topics with an event or a watermark after `from` (counted first, in O(log n)).
   */
  async covered(filter: TopicFilter, from: string): Promise<string[]> {
    const covered = new Set(filter.topics);
    if (filter.patterns.length === 0) return [...covered];
    const ms = from.slice(0, from.indexOf('-'));
    const c = this.client();
    const [[, recentCount], [, evictedCount]] = (await c
      .multi()
      .zcount(this.keys.recent, ms, '+inf')
      .zcount(this.keys.evictedAt, ms, '+inf')
      .exec()) as [[unknown, number], [unknown, number]];
    let since: string[] | undefined;
    for (const p of filter.patterns) {
      const lit: string[] = [];
      for (const s of p.segments) {
        if (s === '*' || s === '**') break;
        lit.push(s);
      }
      const prefix = lit.join('/');
      const under = prefix
        ? await c.zlexcount(this.keys.topics, `[${prefix}/`, `(${prefix}/\x7f`)
        : Number.POSITIVE_INFINITY;
      if (under <= recentCount + evictedCount) {
        // Topics are printable ASCII, so "\x7f" sorts after every topic under the prefix.
        for (let offset = 0; ; offset += PAGE) {
          const page = await c.zrangebylex(
            this.keys.topics,
            `[${prefix}/`,
            `(${prefix}/\x7f`,
            'LIMIT',
            offset,
            PAGE,
          );
          for (const t of page) if (p.matches(t)) covered.add(t);
          if (page.length < PAGE) break;
        }
        if (p.matches(prefix) && (await c.zscore(this.keys.topics, prefix)) !== null) covered.add(prefix);
      } else {
        since ??= [
          ...(await this.pagedByScore(this.keys.recent, ms)),
          ...(await this.pagedByScore(this.keys.evictedAt, ms)),
        ];
        for (const t of since) if (p.matches(t)) covered.add(t);
      }
    }
    return [...covered];
  }

  private async pagedByScore(key: string, min: string): Promise<string[]> {
    const out: string[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.client().zrangebyscore(key, min, '+inf', 'LIMIT', offset, PAGE);
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  /** Indexes the topics of a history written before `recent` and `evicted-at` existed, once. */
  indexed(): Promise<void> {
    this.indexing ??= (async () => {
      if ((await this.client().exists(this.keys.indexed)) === 1) return;
      for (let offset = 0; ; offset += 500) {
        const n = (await this.indexScript.run(
          this.client(),
          [this.keys.topics],
          [this.keys.base, offset, 500],
        )) as number;
        if (n < 500) break;
      }
      await this.client().set(this.keys.indexed, '1');
    })().catch((e: unknown) => {
      this.indexing = undefined;
      throw e;
    });
    return this.indexing;
  }
}
