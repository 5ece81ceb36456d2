import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PublishInput, TidingsEvent } from '@tidings/protocol';
import type { Engine } from '../engines/engine.js';
import type { Middleware, RouteHandler } from '../http/route.js';
import type { MemorySnapshot } from '../limits/memory-accountant.js';
import type { CommandHandler, CommandOptions } from '../plugins/commands/command-registry.js';
import type { SysTopics } from '../plugins/sys/sys-channel.js';
import type { CloseReason, ConnectionInfo, HubObserver } from './observer.js';
import type { ResolvedHubOptions } from './options.js';

/** A node:http `upgrade` listener: `server.on('upgrade', hub.handleUpgrade)`. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The outcome of publishing one event. */
export interface PublishResult {
  /** The event id (for a duplicate, the original event's). */
  readonly id: string;
  /** The event as stored and delivered (for a duplicate, the original: always the publisher's own). */
  readonly event: TidingsEvent;
  /**
   * True when the same publisher already stored the supplied id on this topic: nothing was
   * delivered again. Ids are scoped per publisher and topic, so another publisher's event with
   * the same id never makes this true.
   * @see publisherKey
   */
  readonly duplicate: boolean;
}

/** What the server knows about a `Request` beyond the request itself. */
export interface FetchInfo {
  /** The peer's address, e.g. `incoming.socket.remoteAddress` on node:http. @defaultValue "" */
  readonly remoteAddress?: string | undefined;
}

/** A running hub. Create it with {@link createHub}. */
export interface Hub {
  /** This node's id. */
  readonly nodeId: string;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedHubOptions;
  /** The engine (store and broker) the hub runs on. */
  readonly engine: Engine;
  /**
   * A node:http request listener: `http.createServer(hub.handleNode)`. Requests outside the
   * hub's routes get a JSON 404.
   */
  readonly handleNode: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * A node:http `upgrade` listener serving the WebSocket channel on `GET /ws`:
   * `server.on('upgrade', hub.handleUpgrade)`. `createHubServer(hub.handleNode)` and
   * `tidings serve` wire it for you. Upgrades to other paths are answered with a JSON error.
   * @see attachWebSocket
   */
  readonly handleUpgrade: UpgradeHandler;
  /**
   * The Web-standard handler: `Request` in, `Response` out (Hono, Next.js, Deno, Bun). It serves
   * SSE and `POST /commands/{name}`; WebSocket upgrades need `handleUpgrade` on node:http.
   * `info.remoteAddress` is the peer's address for per-address limits and logs, when the server
   * knows it (a `Request` does not carry it); without it those requests share one address, `""`.
   * @see FetchInfo
   */
  readonly fetch: (request: Request, info?: FetchInfo) => Promise<Response>;
  /** Publishes one event in-process; resolves once it is durable. */
  publish(input: PublishInput): Promise<PublishResult>;
  /** Publishes a batch atomically; resolves once all are durable. */
  publish(input: readonly PublishInput[]): Promise<PublishResult[]>;
  /** The open subscriber connections. */
  connections(): ConnectionInfo[];
  /**
   * The memory budget (`maxMemoryBytes`) and what the hub uses of it: the figures behind the
   * `503` it answers when over, `tidings_memory_*` metrics and `/admin/stats`.
   * @see MemorySnapshot
   */
  memory(): MemorySnapshot;
  /**
   * Closes one connection by id; returns whether it was open. With `notice`, the stream first
   * gets `event: <reason>` with `notice` as JSON data (`token-expired`, `force-logout`).
   */
  disconnect(connectionId: string, reason?: CloseReason, notice?: Record<string, unknown>): boolean;
  /**
   * Adds a route (features such as auth, metrics and presence use this). Paths are relative to
   * `basePath`; a segment `:name` matches one path segment and a last segment `*name` the rest of
   * the path, both handed to the handler as `params.name`.
   */
  route(method: string, path: string, handler: RouteHandler): void;
  /** Adds a middleware; middlewares run in the order added, the first outermost. */
  use(middleware: Middleware): void;
  /**
   * Registers the handler of a command, callable over WebSocket (`{"op":"command","id","name",
   * "args"}`, answered with `ack`/`nack`) and over HTTP (`POST /commands/{name}` with the args as
   * JSON body). Callers must be authorized for the name (JWT: the `tidings.commands` claim). A
   * handler that throws gets the caller `command-failed` (a `CommandError` sends its own code and
   * message); one slower than `timeoutMs` gets `timeout`.
   * @example
   * ```ts
   * hub.onCommand('job.pause', async ({ jobId }: { jobId: string }, ctx) => {
   *   await jobs.pause(jobId, { by: ctx.user });
   *   return { status: 'paused' };
   * });
   * ```
   * @see CommandContext, CommandError, and docs/security.md for how grants name commands.
   */
  onCommand<A = unknown, R = unknown>(
    name: string,
    handler: CommandHandler<A, R>,
    options?: CommandOptions,
  ): void;
  /** Adds an observer after creation. */
  observe(observer: HubObserver): void;
  /**
   * The hub's own live-only `$sys/…` topics, for admin views: who may read them, and sending to
   * them. Publishing to a `$` topic through the ordinary API is refused.
   */
  readonly sys: SysTopics;
  /**
   * Graceful shutdown: refuses new streams, ends open ones so clients reconnect elsewhere,
   * waits for in-flight publishes, then closes the engine.
   */
  close(): Promise<void>;
}
