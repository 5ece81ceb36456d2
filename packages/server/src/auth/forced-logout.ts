import type { Logger } from '../core/logger.js';
import type { CloseReason, ConnectionInfo } from '../core/observer.js';
import type { Broker, ControlMessage } from '../engines/broker.js';
import type { RevocationStore } from '../engines/engine.js';
import type { Principal } from './authorizer.js';
import { userLogoutKey } from './user-logout-key.js';

/** Whom a forced logout targets. */
export interface LogoutTarget {
  readonly user?: string | undefined;
  readonly session?: string | undefined;
  /**
   * Only principals of this tenant: a `sub` or session id names someone within one tenant, and
   * the same name in another tenant is someone else. Absent: principals of every tenant (what a
   * tenant-less caller such as the publisher key asks for when it names no tenant).
   */
  readonly tenant?: string | undefined;
  /** Shown to the user: sent as `event: force-logout` `{"reason"}`. */
  readonly reason: string;
}

/** What forced logout needs from the hub. */
export interface LogoutHost {
  readonly nodeId: string;
  connections(): ConnectionInfo[];
  disconnect(connectionId: string, reason: CloseReason, notice?: Record<string, unknown>): boolean;
}

/** The control message kind carrying a forced logout between nodes. */
export const LOGOUT_CONTROL_KIND = 'tidings.force-logout';

/**
 * The revocation key of a session logged out within one tenant. Length-prefixed, so no pair of
 * tenant and session ids can spell another pair's key.
 */
export function tenantSessionKey(tenant: string, session: string): string {
  return `tsession:${tenant.length}:${tenant}:${session}`;
}

/** Whether principal `p` is one the logout `t` targets. */
function targets(t: LogoutTarget, p: Principal): boolean {
  if (t.tenant !== undefined && p.tenant !== t.tenant) return false;
  return (t.user !== undefined && p.user === t.user) || (t.session !== undefined && p.session === t.session);
}

/** How long a node remembers a logout to catch streams whose authorization was in flight. */
const REMEMBER_MS = 60_000;

/** How long the revocations of a forced logout hold (see {@link ForcedLogout}). */
export interface LogoutHolds {
  /** A named session, from the logout on. */
  readonly sessionMs: number;
  /** A user's cut-off: tokens issued up to the logout stay refused this long (their longest lifetime). */
  readonly userMs: number;
}

interface Remembered extends LogoutTarget {
  readonly at: number;
  readonly tokenIds: Set<string>;
}

/**
 * Forced logout on every node: closes the target's streams with `event: force-logout`, and
 * revokes their tokens (and a named session) so the same credentials cannot reconnect.
 *
 * The node that receives `POST /disconnect` handles its own streams and broadcasts the logout on
 * the broker's control channel; every other node handles its streams on receipt. Each node also
 * remembers recent logouts for a minute and closes a stream that opens afterwards with a token
 * that was logged out: its authorization may have been in flight while the logout ran.
 *
 * What stays refused, and for how long: each closed stream's token until its `exp`; a named
 * session for `holds.sessionMs`; a named user's tokens issued up to the logout (a cut-off,
 * `RevocationStore.revokeIssuedUpTo`, connected or not) for `holds.userMs`, the longest token
 * lifetime the hub accepts, so none of them outlives the logout. Tokens issued afterwards work.
 */
export class ForcedLogout {
  private recent: Remembered[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly host: LogoutHost,
    private readonly broker: Broker,
    private readonly revocations: RevocationStore,
    private readonly holds: LogoutHolds,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = broker.onControl((m) => {
      if (m.kind !== LOGOUT_CONTROL_KIND || m.origin === host.nodeId) return;
      const target: LogoutTarget = {
        user: typeof m.user === 'string' ? m.user : undefined,
        session: typeof m.session === 'string' ? m.session : undefined,
        tenant: typeof m.tenant === 'string' ? m.tenant : undefined,
        reason: typeof m.reason === 'string' ? m.reason : 'logged-out',
      };
      this.local(target, typeof m.at === 'number' ? m.at : this.now()).then(
        (r) => {
          if (r.failure) log.error({ err: r.failure }, 'forced logout from another node was not recorded');
        },
        (err: unknown) => log.error({ err }, 'forced logout from another node failed'),
      );
    });
  }

  /**
   * Logs the target out everywhere. This node's streams of the target are closed even when the
   * revocation store refuses the write (Redis down); the refusal is then thrown (a 503) after the
   * broadcast, so the caller retries.
   * @returns how many streams this node closed (other nodes close theirs on receipt).
   */
  async run(target: LogoutTarget): Promise<number> {
    const at = this.now();
    let failure: unknown;
    if (target.session !== undefined) {
      await this.revocations
        .revoke(
          target.tenant === undefined
            ? `session:${target.session}`
            : tenantSessionKey(target.tenant, target.session),
          at + this.holds.sessionMs,
        )
        .catch((err: unknown) => {
          failure = err;
        });
    }
    // The streams close whatever the store says; a refused write is reported after the broadcast.
    const local = await this.local(target, at);
    const closed = local.closed;
    failure ??= local.failure;
    const message: ControlMessage = {
      kind: LOGOUT_CONTROL_KIND,
      origin: this.host.nodeId,
      at,
      reason: target.reason,
      ...(target.user !== undefined && { user: target.user }),
      ...(target.session !== undefined && { session: target.session }),
      ...(target.tenant !== undefined && { tenant: target.tenant }),
    };
    await this.broker.sendControl(message);
    if (failure !== undefined) throw failure;
    this.log.info(
      { user: target.user, session: target.session, tenant: target.tenant ?? '(every tenant)', closed },
      'forced logout',
    );
    return closed;
  }

  /**
   * Whether a stream that just opened belongs to a recent logout: same token, same session, or
   * the same user with a token issued before the logout, in the logout's tenant.
   */
  matchesRecent(p: Principal): LogoutTarget | undefined {
    const now = this.now();
    if (this.recent.length > 0 && (this.recent[0] as Remembered).at < now - REMEMBER_MS) {
      this.recent = this.recent.filter((r) => r.at >= now - REMEMBER_MS);
    }
    for (const r of this.recent) {
      if (p.tokenId !== undefined && r.tokenIds.has(p.tokenId)) return r;
      if (r.tenant !== undefined && p.tenant !== r.tenant) continue;
      if (r.session !== undefined && p.session === r.session) return r;
      if (r.user !== undefined && p.user === r.user && p.issuedAt !== undefined && p.issuedAt <= r.at)
        return r;
    }
    return undefined;
  }

  close(): void {
    this.unsubscribe();
  }

  /** Closes this node's streams of the target and records its revocations; a failed write is returned, not thrown. */
  private async local(target: LogoutTarget, at: number): Promise<{ closed: number; failure?: unknown }> {
    const victims = this.host
      .connections()
      .filter((c) => c.principal !== undefined && targets(target, c.principal));
    const remembered: Remembered = { ...target, at, tokenIds: new Set() };
    for (const c of victims) {
      const id = c.principal?.tokenId;
      if (id !== undefined) remembered.tokenIds.add(id);
    }
    this.recent.push(remembered);
    // Revoke before closing, so a client that reconnects at once is already refused. Every node
    // records the user's cut-off (an idempotent write), so it holds with per-node stores too.
    const recorded = await Promise.allSettled([
      ...victims.map((c) => {
        const p = c.principal as Principal;
        if (p.tokenId === undefined) return undefined;
        const until = p.expiresAt ?? at + this.holds.sessionMs;
        return this.revocations.revoke(`jti:${p.tokenId}`, until);
      }),
      target.user === undefined
        ? undefined
        : this.revocations.revokeIssuedUpTo(
            userLogoutKey(target.user, target.tenant),
            at,
            at + this.holds.userMs,
          ),
    ]);
    // Close the streams even if the store refused a write (Redis down): a store that keeps its
    // own copy, as the Redis one does, writes it back later; the caller still hears of it.
    let closed = 0;
    for (const c of victims)
      if (this.host.disconnect(c.id, 'force-logout', { reason: target.reason })) closed++;
    const failed = recorded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    return failed ? { closed, failure: failed.reason } : { closed };
  }
}
