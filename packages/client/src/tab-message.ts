import type { NetworkState } from './connection-state.js';
import type { SseFrame } from './transport.js';

/** Version of the tab protocol; tabs running another version of the app ignore each other's messages. */
export const TAB_PROTOCOL = 1;

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

/** A {@link TabMessage} without the envelope fields `TabGroup.post` adds. */
export type TabMessageBody = TabMessage extends infer M
  ? M extends TabMessage
    ? Omit<M, 'v' | 'from'>
    : never
  : never;

export function isTabMessage(m: unknown): m is TabMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { v?: unknown }).v === TAB_PROTOCOL &&
    typeof (m as { t?: unknown }).t === 'string' &&
    typeof (m as { from?: unknown }).from === 'string'
  );
}
