import type { NetworkState } from './connection-state.js';
import type { DebugLog } from './debug-log.js';
import type { LockSource, TabChannel } from './environment.js';
import type { SseFrame } from './transport.js';

/** Version of the tab protocol; tabs running another version of the app ignore each other's messages. */
const TAB_PROTOCOL = 1;

/** Messages between the tabs of one group. `from` is the sender's tab id. */
export type TabMessage = { readonly v: typeof TAB_PROTOCOL; readonly from: string } & (
  | /** leader → all: the connection's state, the id it would resume from, its topics and transport. */
  {
      readonly t: 'state';
      readonly state: NetworkState;
      readonly lastEventId: string | null;
      readonly topics: readonly string[];
      readonly transport: 'sse' | 'websocket';
      readonly latencyMs: number | null;
    }
  /** leader → all: a frame for every tab's pipeline. */
  | { readonly t: 'frame'; readonly frame: SseFrame }
  /** new leader → all: report your visibility. */
  | { readonly t: 'leader' }
  /** follower → leader: I joined; send me the state. */
  | { readonly t: 'hello'; readonly visible: boolean }
  /** follower → leader: my page's visibility changed. */
  | { readonly t: 'visibility'; readonly visible: boolean }
  /** follower → leader: the user called connect() or reconnect(). */
  | { readonly t: 'command'; readonly command: 'connect' | 'reconnect' }
  /** any → all: I am leaving the group. */
  | { readonly t: 'bye' }
  /** follower → leader: run this command on the shared connection. */
  | {
      readonly t: 'call';
      readonly id: string;
      readonly name: string;
      readonly args: unknown;
      readonly timeoutMs: number;
    }
  /** leader → all: the answer to a follower's call, for the tab `to`. */
  | {
      readonly t: 'result';
      readonly id: string;
      readonly to: string;
      readonly result?: unknown;
      readonly error?: { readonly code: string; readonly message: string; readonly status?: number };
    }
  /** follower → leader: change the shared connection's topics. */
  | { readonly t: 'topics'; readonly op: 'subscribe' | 'unsubscribe'; readonly topics: readonly string[] }
);

/** A {@link TabMessage} without the envelope fields the coordinator adds. */
export type TabMessageBody = TabMessage extends infer M
  ? M extends TabMessage
    ? Omit<M, 'v' | 'from'>
    : never
  : never;

function isTabMessage(m: unknown): m is TabMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { v?: unknown }).v === TAB_PROTOCOL &&
    typeof (m as { t?: unknown }).t === 'string' &&
    typeof (m as { from?: unknown }).from === 'string'
  );
}

/**
 * Membership of one tab in a group sharing one connection: a `BroadcastChannel` for messages and
 * an exclusive Web Lock for leadership. The lock is what makes takeover reliable: the browser
 * releases it when the leader's tab closes or crashes, and grants it to the next waiting tab.
 */
export class TabCoordinator {
  private channel: TabChannel | undefined;
  private unsubscribe: (() => void) | undefined;
  private abort: AbortController | undefined;
  private release: (() => void) | undefined;
  private isLeader = false;

  constructor(
    private readonly name: string,
    readonly tabId: string,
    private readonly openChannel: (name: string) => TabChannel,
    private readonly locks: LockSource,
    private readonly handlers: { lead(): void; message(m: TabMessage): void },
    private readonly log: DebugLog,
  ) {}

  get joined(): boolean {
    return this.channel !== undefined;
  }

  get leader(): boolean {
    return this.isLeader;
  }

  /** Joins the group and queues for leadership. */
  join(): void {
    if (this.channel) return;
    const channel = this.openChannel(`tidings:${this.name}`);
    this.channel = channel;
    this.unsubscribe = channel.subscribe((m) => {
      if (isTabMessage(m)) this.handlers.message(m);
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
            this.log.debug(`tab ${this.tabId} leads the shared connection`);
            this.handlers.lead();
          }),
      )
      .catch((e: unknown) => {
        if (!abort.signal.aborted) this.log.error('Web Locks refused the leadership request.', e);
      });
  }

  post(body: TabMessageBody): void {
    this.channel?.post({ ...body, v: TAB_PROTOCOL, from: this.tabId });
  }

  /** Leaves the group: stops listening and hands leadership to the next tab. */
  leave(): void {
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
}
