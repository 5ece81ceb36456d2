import type { Principal } from '../../auth/authorizer.js';
import { HubError } from '../../core/errors.js';
import type { HubRequest } from '../../http/hub-request.js';
import type { Release } from '../../limits/connection-limits.js';
import { type LimitCounters, type SlotRequest, userLimitKey } from '../../limits/limit-counters.js';
import type { ResolvedLimits } from '../../limits/limits.js';

function retryAfterS(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * The abuse limits of one hub: connection slots per user and per address, held by each stream
 * from admission until it closes, and the publish rates. Counts live in `counters` (this process,
 * or shared by every worker of the hub).
 */
export class AbuseLimits {
  /** The slots each admitted stream holds, by the fresh principal that keys them. */
  private readonly leases = new WeakMap<Principal, Release>();

  constructor(
    private readonly limits: ResolvedLimits,
    private readonly counters: LimitCounters,
  ) {}

  /** Gives back the slots of a stream that closed. */
  release(principal: Principal): void {
    this.leases.get(principal)?.();
  }

  private async takeConnectionSlots(principal: Principal, req: HubRequest): Promise<Release | undefined> {
    if (principal.trusted) return undefined;
    const user = principal.user;
    const ip = req.remoteAddress;
    const slots: SlotRequest[] = [];
    // A user is the pair (tenant, sub): the same sub in two tenants is two people.
    if (this.limits.connectionsPerUser !== undefined && user !== undefined)
      slots.push({
        counter: 'user',
        key: userLimitKey(principal.tenant, user),
        limit: this.limits.connectionsPerUser,
      });
    if (this.limits.connectionsPerIp !== undefined && ip)
      slots.push({ counter: 'ip', key: ip, limit: this.limits.connectionsPerIp });
    if (slots.length === 0) return undefined;
    const full = await this.counters.acquire(slots);
    if (full !== -1) {
      const s = slots[full] as SlotRequest;
      if (s.counter === 'user') {
        const who =
          principal.tenant === undefined
            ? `User "${user}"`
            : `User "${user}" of tenant "${principal.tenant}"`;
        throw new HubError(
          429,
          'too-many-connections',
          `${who} already has ${s.limit} open streams, the limit per user; close some (other tabs, devices) before opening another.`,
          { limit: s.limit, option: 'connectionsPerUser' },
        );
      }
      throw new HubError(
        429,
        'too-many-connections',
        `Your address already has ${s.limit} open streams, the limit per address; close some before opening another.`,
        { limit: s.limit, option: 'connectionsPerIp' },
      );
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.counters.release(slots);
    };
  }

  async checkPublishRate(principal: Principal, req: HubRequest, n: number): Promise<void> {
    const r = principal.trusted ? this.limits.publisherKeyRate : this.limits.publishRate;
    if (!r) return;
    const key = principal.trusted
      ? 'publisher-key'
      : principal.user !== undefined
        ? `user:${userLimitKey(principal.tenant, principal.user)}`
        : `ip:${req.remoteAddress}`;
    if (key === 'ip:') return;
    const wait = await this.counters.take(principal.trusted ? 'publisherKeyRate' : 'publishRate', key, n, r);
    if (wait > 0) {
      throw new HubError(
        429,
        'rate-limited',
        `You are publishing faster than this hub allows (${r.perSecond} events per second, bursts of ${r.burst}); retry after ${retryAfterS(wait)} s.`,
        {
          option: principal.trusted ? 'publisherKeyRate' : 'publishRate',
          limit: r.perSecond,
          burst: r.burst,
          retryAfterS: Number(retryAfterS(wait)),
        },
        { 'retry-after': retryAfterS(wait) },
      );
    }
  }

  async admitStream(granted: Principal, req: HubRequest): Promise<Principal> {
    // A fresh principal per stream: it keys this stream's connection slots.
    const principal: Principal = { ...granted };
    const release = await this.takeConnectionSlots(principal, req);
    if (release) {
      this.leases.set(principal, release);
      // Frees the slots if the stream never opens (the client left first).
      if (req.signal.aborted) release();
      else req.signal.addEventListener('abort', release, { once: true });
    }
    return principal;
  }
}
