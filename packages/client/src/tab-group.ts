// The tab protocol: how the tabs sharing one connection elect the one that holds it, and what
// they do with each other's messages (tab-message.ts). `create-client` loads this module with a
// dynamic import when a client is created with `shareAcrossTabs`, so apps that do not share a
// connection never download it.

import type { NetworkState } from './connection-state.js';
import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment, LockSource, TabChannel } from './environment.js';
import { isTabMessage, TAB_PROTOCOL, type TabMessage, type TabMessageBody } from './tab-message.js';
import type { SseFrame } from './transport.js';

/** What a tab group asks of the commands (commands.ts). */
interface TabCommands {
  command(name: string, args: unknown, timeoutMs: number): Promise<unknown>;
  changeTopics(op: 'subscribe' | 'unsubscribe', topics: readonly string[]): Promise<void>;
  /** The leader's answer to a call this tab relayed. */
  answer(id: string, answer: TabMessage & { t: 'result' }): void;
  /** A new tab leads: calls relayed to the previous one will not be answered. */
  leaderChanged(): void;
}

/** What a tab group needs from its client (the client object itself). */
export interface TabHost {
  readonly env: Pick<ClientEnvironment, 'visibility'>;
  readonly log: DebugLog;
  /** The network state this tab shows: its connection's as leader, the leader's as follower. */
  readonly net: NetworkState;
  /** Shows a network state and tells the state listeners. */
  setNet(state: NetworkState): void;
  readonly pipeline: { lastEventId: string | null; handle(frame: SseFrame): void };
  /** The client's topics, changed in place. */
  readonly topicSet: Set<string>;
  latency: number | null;
  readonly transport: 'sse' | 'websocket';
  /** The commands, once loaded. */
  readonly ext: TabCommands | undefined;
  /** Loads the commands. */
  commands(): Promise<TabCommands>;
  /** The connection this tab holds, created on first use. */
  ensureConnection(): { connect(): void; reconnect(): void };
  /** Told when the visibility of this tab, or as leader of any tab, changed. */
  readonly visibility: { changed(): void };
}

/**
 * Membership of one tab in a group sharing one connection: a `BroadcastChannel` for messages and
 * an exclusive Web Lock for leadership. The lock is what makes takeover reliable: the browser
 * releases it when the leader's tab closes or crashes, and grants it to the next waiting tab. The
 * leader runs the connection and posts its frames and state; followers post what their users ask
 * for (connect, commands, topic changes) and their pages' visibility.
 */
export class TabGroup {
  private channel: TabChannel | undefined;
  private unsubscribe: (() => void) | undefined;
  private abort: AbortController | undefined;
  private release: (() => void) | undefined;
  private isLeader = false;
  /** As leader: the visibility the other tabs reported. */
  private readonly visible = new Map<string, boolean>();
  /** As follower: the transport the shared connection uses, as last heard. */
  transport: 'sse' | 'websocket' | undefined;

  constructor(
    private readonly name: string,
    readonly tabId: string,
    private readonly openChannel: (name: string) => TabChannel,
    private readonly locks: LockSource,
    private readonly host: TabHost,
  ) {}

  get joined(): boolean {
    return this.channel !== undefined;
  }

  get leader(): boolean {
    return this.isLeader;
  }

  /** `connect()` in a tab of the group: join it, or as leader connect, or ask the leader to. */
  connect(): void {
    const h = this.host;
    if (!this.joined) {
      h.setNet({ ...h.net, status: 'connecting', reason: null, logoutReason: null });
      this.join();
      this.post({ t: 'hello', visible: h.env.visibility.isVisible() });
    } else if (this.isLeader) {
      h.ensureConnection().connect();
    } else {
      this.post({ t: 'command', command: 'connect' });
    }
  }

  /** `reconnect()` in a joined tab: as leader replace the connection, or ask the leader to. */
  reconnect(): void {
    if (this.isLeader) this.host.ensureConnection().reconnect();
    else this.post({ t: 'command', command: 'reconnect' });
  }

  /** This tab's page was shown or hidden: a follower tells the leader, which decides for all. */
  pageVisible(visible: boolean): void {
    if (this.joined && !this.isLeader) this.post({ t: 'visibility', visible });
    else this.host.visibility.changed();
  }

  /** Whether another tab of the group reported a visible page (as leader). */
  anyVisible(): boolean {
    for (const v of this.visible.values()) if (v) return true;
    return false;
  }

  /** As leader: tells the other tabs the state, resume point, topics, transport and latency. */
  postState(): void {
    const h = this.host;
    if (this.isLeader) {
      this.post({
        t: 'state',
        state: h.net,
        lastEventId: h.pipeline.lastEventId,
        topics: [...h.topicSet],
        transport: h.transport,
        latencyMs: h.latency,
      });
    }
  }

  /** Joins the group and queues for leadership. */
  private join(): void {
    if (this.channel) return;
    const channel = this.openChannel(`tidings:${this.name}`);
    this.channel = channel;
    this.unsubscribe = channel.subscribe((m) => {
      if (isTabMessage(m)) this.message(m);
    });
    const abort = new AbortController();
    this.abort = abort;
    this.locks
      .request(
        `tidings:${this.name}`,
        abort.signal,
        () =>
          new Promise<void>((resolve) => {
            if (abort.signal.aborted || this.channel !== channel) {
              resolve();
              return;
            }
            this.release = resolve;
            this.isLeader = true;
            this.host.log.debug(`tab ${this.tabId} leads the shared connection`);
            this.lead();
          }),
      )
      .catch((e: unknown) => {
        if (!abort.signal.aborted) this.host.log.error('Web Locks refused the leadership request.', e);
      });
  }

  post(body: TabMessageBody): void {
    this.channel?.post({ ...body, v: TAB_PROTOCOL, from: this.tabId });
  }

  /** Leaves the group: stops listening and hands leadership to the next tab. */
  leave(): void {
    this.visible.clear();
    if (!this.channel) return;
    this.post({ t: 'bye' });
    this.unsubscribe?.();
    this.channel.close();
    this.channel = undefined;
    this.abort?.abort();
    this.abort = undefined;
    this.isLeader = false;
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** This tab took the lock: open the shared connection, resuming from what this tab saw last. */
  private lead(): void {
    const h = this.host;
    this.visible.clear();
    this.post({ t: 'leader' });
    h.ensureConnection().connect();
    h.visibility.changed();
  }

  private message(m: TabMessage): void {
    const h = this.host;
    if (this.isLeader) {
      switch (m.t) {
        case 'hello':
          this.visible.set(m.from, m.visible);
          this.postState();
          h.visibility.changed();
          return;
        case 'visibility':
          this.visible.set(m.from, m.visible);
          h.visibility.changed();
          return;
        case 'bye':
          this.visible.delete(m.from);
          h.visibility.changed();
          return;
        case 'command':
          if (m.command === 'reconnect') h.ensureConnection().reconnect();
          else h.ensureConnection().connect();
          return;
        case 'call':
          // Run on the shared connection; the answer goes back to the calling tab.
          void h.commands().then((x) => {
            if (!this.isLeader) return;
            x.command(m.name, m.args, m.timeoutMs).then(
              (result) => this.post({ t: 'result', id: m.id, to: m.from, result }),
              (e: Error & { code?: string; status?: number }) =>
                this.post({
                  t: 'result',
                  id: m.id,
                  to: m.from,
                  error: { code: e.code ?? 'internal', message: e.message, status: e.status },
                }),
            );
          });
          return;
        case 'topics':
          void h.commands().then((x) => {
            if (!this.isLeader) return;
            x.changeTopics(m.op, m.topics).catch((e: Error) =>
              h.log.warn(`Another tab's ${m.op} failed: ${e.message}`),
            );
          });
          return;
        default:
          // A state or frame from the previous leader, still in flight: superseded.
          return;
      }
    }
    switch (m.t) {
      case 'state':
        // A tab that joined after the last event still needs a resume point should it take over.
        if (h.pipeline.lastEventId === null && m.lastEventId !== null) h.pipeline.lastEventId = m.lastEventId;
        // Should this tab take over, it subscribes to what the group subscribes to.
        h.topicSet.clear();
        for (const t of m.topics) h.topicSet.add(t);
        h.latency = m.latencyMs;
        this.transport = m.transport;
        h.setNet(m.state);
        return;
      case 'frame':
        h.pipeline.handle(m.frame);
        return;
      case 'result':
        if (m.to === this.tabId) h.ext?.answer(m.id, m);
        return;
      case 'leader':
        this.post({ t: 'visibility', visible: h.env.visibility.isVisible() });
        h.ext?.leaderChanged();
        return;
      default:
        return;
    }
  }
}
