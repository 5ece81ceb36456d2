import { type Logger, silentLogger } from '../../core/logger.js';
import type { RevocationStore } from '../engine.js';
import { MemoryRevocations } from '../memory/memory-revocations.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { CUTOFF, REVOKE } from './lua-revocations.js';
import { LuaScript } from './lua-script.js';
import { RedisLink, type RedisLinkOptions, type RedisTarget } from './redis-link.js';

/** Options of {@link RedisRevocationStore}. */
export interface RedisRevocationOptions extends RedisLinkOptions {
  /** Redis URL, or an ioredis client to copy the connection settings of (see {@link RedisTarget}). */
  redis: RedisTarget;
  /** Namespace of every key; all nodes of one hub use the same. @defaultValue "tidings" */
  keyPrefix?: string | undefined;
  /**
   * How often this node compares its copy of the revocations with Redis (learning those of other
   * nodes, restoring those Redis lost). It also does so each time its connection becomes ready.
   * @defaultValue 2000
   */
  revocationSyncMs?: number | undefined;
}

/** Index members: `r:<key>` for a revoked key, `c:<key>` for a cut-off. */
const REVOKED = 'r:';
const CUT = 'c:';
/** Index entries read per round trip, and restores sent at once. */
const PAGE = 1000;
const RESTORE_BATCH = 100;

/**
 * Revoked tokens, sessions and user cut-offs, shared by every node: one key per entry that Redis
 * expires when the last credential it refuses would have expired anyway (`SET … PXAT`, keeping
 * the later time when an entry is set twice), so the set never grows without bound. Expiry runs
 * on Redis' clock.
 *
 * **Surviving an empty Redis.** Every node also keeps its own copy of every entry in force (a
 * {@link MemoryRevocations}): its own writes at once, those of other nodes through an index
 * (`rev-index`, `rev-version`) it reads whenever the version changes, checked every
 * `revocationSyncMs` and on every reconnection. An entry in the copy but missing from Redis
 * (Redis restarted without its data, or was flushed) is written back, so a forced logout holds
 * until the tokens it refused expire, as long as one node that knew of it is running. Lookups
 * answer `true` from the copy first, which also keeps refusing revoked tokens while Redis is
 * down; an entry not in the copy is looked up in Redis (a revocation made by another node in the
 * last moments), and learned.
 *
 * While Redis is unreachable, writes still enter the copy (and reach Redis once it is back) but
 * reject with a 503 `HubError`; lookups the copy cannot answer reject with a 503 too, and the
 * caller decides whether to refuse the request (the safe choice for auth).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly keys: RedisKeys;
  readonly link: RedisLink;
  /** This node's copy of every entry in force. */
  readonly mirror = new MemoryRevocations();
  private readonly ownsLink: boolean;
  private readonly log: Logger;
  private readonly revokeScript = new LuaScript(REVOKE);
  private readonly cutoffScript = new LuaScript(CUTOFF);
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onReady = () => this.syncSoon();
  private seenVersion: string | null | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  constructor(options: RedisRevocationOptions, link?: RedisLink) {
    this.keys = redisKeys(options.keyPrefix ?? 'tidings');
    this.log = options.logger ?? silentLogger;
    const every = options.revocationSyncMs ?? 2000;
    if (!Number.isInteger(every) || every < 50) {
      throw new RangeError(`revocationSyncMs must be a whole number of at least 50, not ${every}.`);
    }
    this.ownsLink = !link;
    this.link = link ?? new RedisLink(options.redis, options, 'tidings-revocations');
    this.timer = setInterval(() => this.syncSoon(), every);
    this.timer.unref();
    this.link.client.on('ready', this.onReady);
    if (this.link.ready) this.syncSoon();
  }

  async revoke(key: string, untilMs: number): Promise<void> {
    if (!Number.isFinite(untilMs))
      throw new RangeError(`untilMs must be an epoch time in ms, not ${untilMs}.`);
    if (untilMs <= Date.now()) return; // already expired: nothing left to refuse
    // The copy first: if Redis is down now, the next sync writes it there.
    await this.mirror.revoke(key, untilMs);
    this.link.assertUp('the revocation was not recorded');
    try {
      await this.writeRevoked(key, untilMs);
    } catch (err) {
      throw this.link.failure(err, 'the revocation was not recorded');
    }
  }

  async isRevoked(key: string): Promise<boolean> {
    if (await this.mirror.isRevoked(key)) return true;
    this.link.assertUp('revocations cannot be checked');
    let ttl: number;
    // Redis' expiry is at least this + ttl: learning the earliest it can be keeps the copy from
    // outliving Redis' entry, which the next sync would take for a lost one and write back.
    const sentAt = Date.now();
    try {
      ttl = await this.link.client.pttl(this.keys.revoked(key));
    } catch (err) {
      throw this.link.failure(err, 'revocations cannot be checked');
    }
    if (ttl === -2) return false;
    await this.mirror.revoke(key, ttl > 0 ? sentAt + ttl : Number.MAX_SAFE_INTEGER);
    return true;
  }

  async revokeIssuedUpTo(key: string, issuedUpToMs: number, untilMs: number): Promise<void> {
    if (!Number.isFinite(untilMs) || !Number.isFinite(issuedUpToMs))
      throw new RangeError(
        `issuedUpToMs and untilMs must be epoch times in ms, not ${issuedUpToMs}, ${untilMs}.`,
      );
    if (untilMs <= Date.now()) return;
    await this.mirror.revokeIssuedUpTo(key, issuedUpToMs, untilMs);
    this.link.assertUp('the logout was not recorded');
    try {
      await this.writeCutoff(key, issuedUpToMs, untilMs);
    } catch (err) {
      throw this.link.failure(err, 'the logout was not recorded');
    }
  }

  async issuedUpTo(key: string): Promise<number | undefined> {
    const mine = await this.mirror.issuedUpTo(key);
    // The copy refuses on its own while Redis is away (a later cut-off there can only refuse more).
    if (mine !== undefined && !this.link.ready) return mine;
    this.link.assertUp('revocations cannot be checked');
    let found: [string | null, number] | undefined;
    const sentAt = Date.now(); // as in isRevoked
    try {
      const r = await this.link.client.multi().get(this.keys.cutoff(key)).pttl(this.keys.cutoff(key)).exec();
      found = [(r?.[0]?.[1] as string | null) ?? null, Number(r?.[1]?.[1] ?? -2)];
    } catch (err) {
      // The copy refuses on its own: a cut-off it holds is enough to answer.
      if (mine !== undefined) return mine;
      throw this.link.failure(err, 'revocations cannot be checked');
    }
    const [value, ttl] = found;
    if (value === null || ttl === -2) return mine;
    const upTo = Number(value);
    await this.mirror.revokeIssuedUpTo(key, upTo, ttl > 0 ? sentAt + ttl : Number.MAX_SAFE_INTEGER);
    return mine === undefined ? upTo : Math.max(mine, upTo);
  }

  /**
   * Compares this node's copy with Redis now: learns the entries other nodes wrote and writes
   * back those Redis lost. Resolves once done (at once while Redis is unreachable).
   * @returns how many entries were written back (entries Redis still held, only missing from
   *   its index, are indexed again without counting).
   */
  async sync(): Promise<number> {
    if (this.closed || !this.link.ready) return 0;
    const c = this.link.client;
    const version = await c.get(this.keys.revocationVersion);
    // A missing counter means no revocation ever, or a Redis that lost them: compare.
    if (version !== null && version === this.seenVersion) return 0;
    const inRedis = new Set<string>();
    const cuts: Array<[string, number]> = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await c.zrangebyscore(
        this.keys.revocationIndex,
        '-inf',
        '+inf',
        'WITHSCORES',
        'LIMIT',
        offset,
        PAGE,
      );
      for (let i = 0; i + 1 < page.length; i += 2) {
        const member = page[i] as string;
        const until = Number(page[i + 1]);
        inRedis.add(member);
        if (member.startsWith(REVOKED)) await this.mirror.revoke(member.slice(REVOKED.length), until);
        else if (member.startsWith(CUT)) cuts.push([member.slice(CUT.length), until]);
      }
      if (page.length < PAGE * 2) break;
    }
    for (let i = 0; i < cuts.length; i += PAGE) {
      const chunk = cuts.slice(i, i + PAGE);
      const values = await c.mget(...chunk.map(([k]) => this.keys.cutoff(k)));
      for (const [j, [k, until]] of chunk.entries()) {
        const v = values[j];
        if (v != null) await this.mirror.revokeIssuedUpTo(k, Number(v), until);
      }
    }
    const todo: Array<() => Promise<unknown>> = [];
    const { revoked, cutoffs } = this.mirror.snapshot();
    for (const [k, until] of revoked)
      if (!inRedis.has(REVOKED + k)) todo.push(() => this.writeRevoked(k, until));
    for (const [k, cut] of cutoffs)
      if (!inRedis.has(CUT + k)) todo.push(() => this.writeCutoff(k, cut.upTo, cut.until));
    let restored = 0;
    for (let i = 0; i < todo.length; i += RESTORE_BATCH) {
      const done = await Promise.all(todo.slice(i, i + RESTORE_BATCH).map((f) => f()));
      restored += done.filter((r) => r === 1).length;
    }
    if (restored > 0) {
      this.log.warn(
        { redis: this.link.where, restored },
        'Redis had lost revocations still in force; this node wrote them back from its copy',
      );
    }
    // The counter as read before the index: a revocation made meanwhile bumps it again.
    this.seenVersion = version;
    return restored;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.link.client.off('ready', this.onReady);
    await this.syncing;
    await this.mirror.close();
    if (this.ownsLink) await this.link.close();
  }

  /** Starts a sync unless one is running; failures wait for the next round. */
  private syncSoon(): void {
    if (this.syncing || this.closed) return;
    this.syncing = this.sync()
      .then(
        () => undefined,
        (err: unknown) => {
          this.log.debug(
            { err: (err as Error).message },
            'revocation sync failed; retrying on the next round',
          );
        },
      )
      .finally(() => {
        this.syncing = undefined;
      });
  }

  private writeRevoked(key: string, untilMs: number): Promise<unknown> {
    return this.revokeScript.run(
      this.link.client,
      [this.keys.revoked(key), this.keys.revocationIndex, this.keys.revocationVersion],
      [Math.ceil(untilMs), REVOKED + key],
    );
  }

  private writeCutoff(key: string, upTo: number, untilMs: number): Promise<unknown> {
    return this.cutoffScript.run(
      this.link.client,
      [this.keys.cutoff(key), this.keys.revocationIndex, this.keys.revocationVersion],
      [Math.floor(upTo), Math.ceil(untilMs), CUT + key],
    );
  }
}
