import { encodeSseFrame, type TopicPattern } from '@tidings/protocol';
import type { SubscribeGrant } from '../../auth/authorizer.js';
import { HubError } from '../../core/errors.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import type { HubRequest } from '../../http/hub-request.js';

/** Decides who may subscribe to `$sys/…`; return false (or throw a `HubError`) to refuse. */
export type SysAuthorizer = (req: HubRequest) => boolean | Promise<boolean>;

/** What the channel needs of a subscriber connection. */
export interface SysListener {
  readonly patterns: readonly TopicPattern[];
  readonly state: string;
  write(frame: Uint8Array): void;
}

/** What `hub.sys` offers: who may read `$sys/…` topics, and sending to them. */
export interface SysTopics {
  /** Sets who may subscribe to `$sys/…` (by default nobody). `installAdmin` installs one. */
  authorize(fn: SysAuthorizer): void;
  /**
   * Sends a live-only event (no id, not stored, never replayed) to this node's admitted `$sys`
   * subscribers whose patterns match `topic`; returns how many it was written to.
   */
  emit(topic: string, type: string, data: unknown): number;
  /** Connections on this node reading `$sys` topics: build payloads only when it is not 0. */
  readonly listenerCount: number;
}

/**
 * The hub's own `$sys/…` topics: live-only telemetry for admin views.
 *
 * Events sent here never touch the history store (so they neither grow it nor show up in
 * replay) and carry no SSE `id:`, so a browser's `Last-Event-ID` keeps pointing at real history.
 * They reach only connections admitted through {@link SysChannel.authorize}: the application
 * authorizer never sees a `$sys` subscription, and a wildcard such as `**` on an ordinary
 * stream does not match them because they bypass the dispatcher altogether.
 */
export class SysChannel implements SysTopics {
  private authorizer: SysAuthorizer | undefined;
  private readonly listeners = new Set<SysListener>();
  private readonly encoder = new TextEncoder();

  /** Sets who may subscribe to `$sys/…` (by default nobody). The admin module installs one. */
  authorize(fn: SysAuthorizer): void {
    this.authorizer = fn;
  }

  /** Number of connections on this node reading `$sys` topics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Classifies a subscription: `true` when it names `$`-topics only, `false` when it names none.
   * @throws HubError 400 when it mixes both.
   */
  isSysSubscription(patterns: readonly TopicPattern[]): boolean {
    let sys = 0;
    for (const p of patterns) if (isReservedTopic(p.source)) sys++;
    if (sys === 0) return false;
    if (sys < patterns.length) {
      throw new HubError(
        400,
        'invalid-pattern',
        'Subscribe to $sys topics on a stream of their own, without application topics.',
      );
    }
    return true;
  }

  /**
   * Admits a `$sys` subscription.
   * @throws HubError 401 when no `$sys` authorizer is installed or it refuses the request.
   */
  async admit(req: HubRequest): Promise<SubscribeGrant> {
    const ok = this.authorizer ? await this.authorizer(req) : false;
    if (!ok) {
      throw new HubError(
        401,
        'unauthorized',
        this.authorizer
          ? 'Topics under $sys/ are the hub’s own telemetry; subscribe with the admin token.'
          : 'Topics under $sys/ are the hub’s own telemetry and this hub has no admin token configured.',
      );
    }
    return { principal: {}, canRead: isReservedTopic };
  }

  /** Registers an admitted connection. */
  add(conn: SysListener): void {
    this.listeners.add(conn);
  }

  /** Forgets a connection (a no-op for connections that were never added). */
  remove(conn: SysListener): void {
    this.listeners.delete(conn);
  }

  /**
   * Sends a live-only event to this node's `$sys` subscribers whose patterns match `topic`.
   * @returns how many connections it was written to.
   */
  emit(topic: string, type: string, data: unknown): number {
    if (this.listeners.size === 0) return 0;
    let frame: Uint8Array | undefined;
    let n = 0;
    for (const c of this.listeners) {
      if (c.state === 'closed' || !c.patterns.some((p) => p.matches(topic))) continue;
      frame ??= this.encoder.encode(
        encodeSseFrame({
          event: type,
          data: JSON.stringify({ topic, type, time: new Date().toISOString(), data }),
        }),
      );
      c.write(frame);
      n++;
    }
    return n;
  }
}
