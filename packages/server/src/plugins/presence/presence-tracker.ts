import type { Logger } from '../../core/logger.js';
import type { ConnectionInfo, HubObserver } from '../../core/observer.js';
import type { PresenceEntry, PresenceStore } from '../../engines/presence-store.js';

type Op = { kind: 'announce' | 'withdraw'; entry: PresenceEntry };

/** Connections per announce call when refreshing. */
const CHUNK = 500;

function entryOf(c: ConnectionInfo): PresenceEntry {
  return { connectionId: c.id, user: c.user, topics: c.topics };
}

/**
 * Keeps a {@link PresenceStore} in step with a hub's connections: announces each one as it
 * opens, withdraws it as it closes (batched per tick, in order), and re-announces every open
 * connection each `refreshMs` so a networked store keeps them while this node lives. Failures
 * (Redis down) are logged once per outage; the next refresh repairs what was missed.
 */
export class PresenceTracker {
  readonly observer: HubObserver;
  private queue: Op[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private failing = false;
  private stopped = false;
  /** The open connections this node has announced. */
  private readonly open = new Map<string, PresenceEntry>();

  constructor(
    private readonly store: PresenceStore,
    private readonly log: Logger,
  ) {
    this.observer = {
      connectionOpened: (c) => {
        if (this.stopped) return;
        const entry = entryOf(c);
        this.open.set(c.id, entry);
        this.push({ kind: 'announce', entry });
      },
      connectionClosed: (c) => {
        const entry = this.open.get(c.id);
        if (!entry) return;
        this.open.delete(c.id);
        this.push({ kind: 'withdraw', entry });
      },
      topicsChanged: (c) => {
        const old = this.open.get(c.id);
        if (!old || this.stopped) return;
        const entry = entryOf(c);
        this.open.set(c.id, entry);
        this.push({ kind: 'withdraw', entry: old });
        this.push({ kind: 'announce', entry });
      },
    };
    if (store.refreshMs !== undefined) {
      this.timer = setInterval(() => this.refresh(), store.refreshMs);
      this.timer.unref();
    }
  }

  /** Re-announces every open connection now. */
  refresh(): Promise<void> {
    if (this.stopped) return this.chain;
    const all = [...this.open.values()];
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      this.enqueue(() => this.store.announce(chunk));
    }
    return this.chain;
  }

  /**
   * Stops refreshing, withdraws every connection still announced (the hub is shutting down) and
   * waits for the store.
   */
  async stop(): Promise<void> {
    if (this.stopped) return this.chain;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const entry of this.open.values()) this.queue.push({ kind: 'withdraw', entry });
    this.open.clear();
    this.flush();
    await this.chain;
  }

  private push(op: Op): void {
    this.queue.push(op);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ops = this.queue;
    this.queue = [];
    // Consecutive operations of one kind go in one call; the order of kinds is kept.
    let i = 0;
    while (i < ops.length) {
      const kind = (ops[i] as Op).kind;
      const group: PresenceEntry[] = [];
      while (i < ops.length && (ops[i] as Op).kind === kind) group.push((ops[i++] as Op).entry);
      this.enqueue(() => (kind === 'announce' ? this.store.announce(group) : this.store.withdraw(group)));
    }
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).then(
      () => {
        if (this.failing) this.log.info({ presence: this.store.kind }, 'presence updates work again');
        this.failing = false;
      },
      (err: unknown) => {
        if (!this.failing) {
          this.log.warn(
            { presence: this.store.kind, err: (err as Error).message },
            'presence update failed; the next refresh repairs it',
          );
        }
        this.failing = true;
      },
    );
  }
}
