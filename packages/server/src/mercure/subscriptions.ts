import type { PluginHost } from '../core/hub-plugin.js';
import type { Logger } from '../core/logger.js';
import type { ControlMessage } from '../engines/broker.js';
import type { MercureConnection } from './mercure-connection.js';
import { SUBSCRIPTIONS_PATH } from './mercure-options.js';
import { hubTopicOf } from './topic-mapping.js';

/** The JSON-LD context of subscription documents. */
export const MERCURE_CONTEXT = 'https://mercure.rocks/';

/** One active subscription: a `topic` selector of one subscriber. */
export interface SubscriptionEntry {
  /** `/.well-known/mercure/subscriptions/{topic}/{subscriber}` (also its events' topic). */
  readonly id: string;
  readonly topic: string;
  readonly subscriber: string;
  readonly payload?: unknown;
}

/** Control messages between nodes carry this kind. */
export const SUBSCRIPTIONS_CONTROL = 'mercure-subscriptions';

interface SubscriptionsMessage extends ControlMessage {
  readonly kind: typeof SUBSCRIPTIONS_CONTROL;
  readonly node: string;
  /** hello: a node started; snapshot: all of a node's subscriptions; add / remove: changes. */
  readonly op: 'hello' | 'snapshot' | 'add' | 'remove';
  readonly entries?: readonly SubscriptionEntry[];
}

/** RFC 6570 simple-string expansion of one value: everything but unreserved characters encoded. */
export function expandValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The topic of the subscription events of `selector` for `subscriber`. */
export function subscriptionTopic(selector: string, subscriber: string): string {
  return `${SUBSCRIPTIONS_PATH}/${expandValue(selector)}/${expandValue(subscriber)}`;
}

/** The JSON-LD document of one subscription (`@context` only at the root of a document). */
export function subscriptionDocument(
  e: SubscriptionEntry,
  active: boolean,
  root: boolean,
): Record<string, unknown> {
  return {
    ...(root && { '@context': MERCURE_CONTEXT }),
    id: e.id,
    type: 'Subscription',
    topic: e.topic,
    subscriber: e.subscriber,
    active,
    ...(e.payload !== undefined && { payload: e.payload }),
  };
}

/**
 * Active subscriptions across every node: each node keeps its own, tells the others about changes
 * over the engine's control channel, re-announces all of them every `refreshMs` (and whenever a
 * node says hello), and forgets a node it has not heard from for three intervals. Every
 * subscription start and end is also published as a private Mercure update, through the hub's
 * ordinary publish path, so it is durable and reaches every node like any other update.
 */
export class ActiveSubscriptions {
  private readonly local = new Map<string, SubscriptionEntry[]>();
  private readonly remote = new Map<string, { seen: number; entries: Map<string, SubscriptionEntry> }>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly offControl: () => void;
  private closed = false;

  constructor(
    private readonly host: PluginHost,
    private readonly refreshMs: number,
    private readonly log: Logger,
  ) {
    this.offControl = host.engine.broker.onControl((m) => this.receive(m));
    this.timer = setInterval(() => {
      this.send({ op: 'snapshot', entries: this.localEntries() });
      const stale = Date.now() - 3 * this.refreshMs;
      for (const [node, r] of this.remote) if (r.seen < stale) this.remote.delete(node);
    }, refreshMs);
    this.timer.unref();
    this.send({ op: 'hello' });
  }

  /** Records the subscriptions of a stream that just opened and announces them. */
  opened(conn: MercureConnection): void {
    const sub = conn.subscriber;
    const entries = sub.selectors.map((s) => ({
      id: subscriptionTopic(s.source, sub.id),
      topic: s.source,
      subscriber: sub.id,
      ...(sub.payload !== undefined && { payload: sub.payload }),
    }));
    this.local.set(conn.id, entries);
    this.send({ op: 'add', entries });
    this.publish(entries, true);
  }

  /** Forgets the subscriptions of a stream that closed and announces it. */
  closedConnection(conn: MercureConnection): void {
    const entries = this.local.get(conn.id);
    if (!entries) return;
    this.local.delete(conn.id);
    this.send({ op: 'remove', entries });
    this.publish(entries, false);
  }

  /** Every active subscription known, on every node. */
  list(): SubscriptionEntry[] {
    const out = this.localEntries();
    const stale = Date.now() - 3 * this.refreshMs;
    for (const r of this.remote.values()) if (r.seen >= stale) out.push(...r.entries.values());
    return out;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.offControl();
  }

  private localEntries(): SubscriptionEntry[] {
    const out: SubscriptionEntry[] = [];
    for (const list of this.local.values()) out.push(...list);
    return out;
  }

  private send(m: Pick<SubscriptionsMessage, 'op' | 'entries'>): void {
    if (this.closed) return;
    const message: SubscriptionsMessage = { ...m, kind: SUBSCRIPTIONS_CONTROL, node: this.host.nodeId };
    this.host.engine.broker.sendControl(message).catch((err: unknown) => {
      this.log.warn(
        { err: (err as Error).message },
        'could not tell other nodes about Mercure subscriptions',
      );
    });
  }

  private receive(raw: ControlMessage): void {
    if (raw.kind !== SUBSCRIPTIONS_CONTROL || this.closed) return;
    const m = raw as SubscriptionsMessage;
    if (m.node === this.host.nodeId) return;
    if (m.op === 'hello') {
      this.send({ op: 'snapshot', entries: this.localEntries() });
      return;
    }
    let r = this.remote.get(m.node);
    if (!r || m.op === 'snapshot') {
      r = { seen: 0, entries: new Map() };
      this.remote.set(m.node, r);
    }
    r.seen = Date.now();
    for (const e of m.entries ?? []) {
      if (m.op === 'remove') r.entries.delete(e.id);
      else r.entries.set(e.id, e);
    }
  }

  private publish(entries: readonly SubscriptionEntry[], active: boolean): void {
    if (this.host.isClosing) return;
    const items = entries.map((e) => ({
      topic: hubTopicOf(e.id),
      type: 'message',
      id: undefined,
      dataJson: JSON.stringify(JSON.stringify(subscriptionDocument(e, active, true))),
      meta: { mercure: { topics: [e.id], private: true as const } },
    }));
    this.host.publishParsed(items).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'could not publish a Mercure subscription event');
    });
  }
}
