import type { Commands } from './commands.js';
import { Connection } from './connection.js';
import type { NetworkState } from './connection-state.js';
import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment, WebSocketConstructor } from './environment.js';
import type { EventPipeline } from './event-pipeline.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { TabGroup } from './tab-group.js';
import { lazyTransport, type Transport } from './transport.js';
import { transportPolicy } from './transport-policy.js';

/** What a client's connection reads and calls of its client (the client object itself). */
export interface ConnectionOwner {
  readonly o: ResolvedOptions;
  readonly env: ClientEnvironment;
  readonly log: DebugLog;
  readonly sseTransport: Transport;
  /** Loads the chunk with the WebSocket transport. */
  load(): Promise<typeof import('./channel.js')>;
  net: NetworkState;
  readonly pipeline: EventPipeline;
  /** The event types listened to with `on()`. */
  readonly typed: ReadonlyMap<string, unknown>;
  readonly topicSet: ReadonlySet<string>;
  readonly ext: Commands | undefined;
  latency: number | null;
  readonly tabs: TabGroup | undefined;
  /** Shows a network state and tells the state listeners. */
  setNet(state: NetworkState): void;
}

/**
 * A new connection for client `c`: it resumes from the pipeline's last id, subscribes to the
 * client's topics, feeds frames to the pipeline (and as leader to the other tabs), and reports
 * its state, latency and replies. The WebSocket transport, and with `transport: 'auto'` its
 * fallback policy, are loaded on first use.
 */
export function clientConnection(c: ConnectionOwner): Connection {
  const policy = transportPolicy(c.o, c.env);
  return new Connection(
    c.o,
    c.env,
    c.sseTransport,
    lazyTransport(() =>
      c.load().then((m) => {
        if (c.o.transport === 'auto') policy.settle ??= m.autoFallback(policy, c.env, c.log);
        return m.webSocketTransport(c.env.WebSocket as WebSocketConstructor, c.env);
      }),
    ),
    policy,
    // A tab taking over inherits the group's history: its reconnection is not a first connection.
    c.net.lastConnectedAt,
    {
      lastEventId: () => c.pipeline.lastEventId,
      // Only a client that has seen no event adopts the hub's position: its own last id is at
      // least as recent.
      resumePoint: (id) => {
        if (c.pipeline.lastEventId === null) c.pipeline.lastEventId = id;
      },
      eventTypes: () => new Set([...(c.o.definitions?.types ?? []), ...c.typed.keys()]),
      topics: () => c.topicSet,
      reply: (m) => c.ext?.reply(m),
      latency: (ms) => {
        c.latency = ms;
        c.tabs?.postState();
      },
      frame: (f) => {
        if (c.tabs?.leader) c.tabs.post({ t: 'frame', frame: f });
        c.pipeline.handle(f);
      },
      state: (s) => {
        c.net = s;
        c.tabs?.postState();
        c.setNet(s);
        c.ext?.stateChanged();
      },
    },
    c.log,
  );
}
