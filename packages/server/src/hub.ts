import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { encodeSseFrame, type PublishInput, type TidingsEvent } from '@tidings/protocol';
import type { Authorizer, Principal } from './auth/authorizer.js';
import { BACKEND_PUBLISHER, publisherKey } from './auth/publisher-key.js';
import { catchUp, type ReplayLimits, replayLimits } from './core/catch-up.js';
import { HubError, isHubError } from './core/errors.js';
import { resyncAfterGap } from './core/gap-resync.js';
import { type Logger, silentLogger } from './core/logger.js';
import {
  type CloseReason,
  type ConnectionInfo,
  combineObservers,
  type HubObserver,
} from './core/observer.js';
import { type HubOptions, type ResolvedHubOptions, resolveOptions } from './core/options.js';
import { SlowConsumerRule } from './core/slow-consumer-rule.js';
import {
  type EventMeta,
  eventFrame,
  type NewEvent,
  type StoredEvent,
  toEnvelope,
} from './core/stored-event.js';
import { SubscriberIndex } from './core/subscriber-index.js';
import { type Engine, localEngine } from './engines/engine.js';
import type { AppendResult } from './engines/history-store.js';
import { SqliteStore } from './engines/sqlite/sqlite-store.js';
import type { FaceHost, StreamSpec } from './face.js';
import type { HubRequest, HubResponse } from './http/hub-request.js';
import { ClientGoneError, json, LazyAbort, relativePath } from './http/hub-request.js';
import { closeAfterAnswer } from './http/lingering-close.js';
import { nodeRequest } from './http/node-request.js';
import { closeDelimited, NodeSink } from './http/node-sink.js';
import { rawHead } from './http/raw-response.js';
import type { SimpleHead } from './http/request-head.js';
import { socketRequest } from './http/socket-request.js';
import { STREAM_FRONT } from './http/stream-front.js';
import type { StreamSink } from './http/stream-sink.js';
import { webRequest } from './http/web-request.js';
import { WebSink } from './http/web-sink.js';
import { MemoryAccountant, type MemorySnapshot } from './limits/memory-accountant.js';
import { memoryAdmission } from './limits/memory-admission.js';
import { accountedReads } from './limits/replay-accounting.js';
import { installMercure } from './mercure/install-mercure.js';
import {
  type CommandHandler,
  type CommandOptions,
  CommandRegistry,
} from './plugins/commands/command-registry.js';
import { commandRoute } from './plugins/commands/command-route.js';
import { installPresence, type PresenceHandle } from './plugins/presence/install-presence.js';
import { isReservedTopic, SysChannel, type SysTopics } from './plugins/sys/sys-channel.js';
import {
  type ExtraFieldParser,
  type ParsedPublish,
  parsePublishBody,
  parsePublishInputs,
} from './routes/parse-publish.js';
import { parseSubscription } from './routes/parse-subscription.js';
import { installSecurity, type Security } from './security.js';
import { SseConnection } from './transports/sse/sse-connection.js';
import { WsChannel } from './transports/ws/ws-channel.js';

/** A node:http `upgrade` listener: `server.on('upgrade', hub.handleUpgrade)`. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Headers of every event stream. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** A route's answer: a complete response, or an event stream to open once headers are sent. */
export type RouteResult =
  | HubResponse
  | {
      readonly kind: 'stream';
      readonly headers: Record<string, string>;
      /** Called with the sink once the 200 headers are on the wire. */
      open(sink: StreamSink): void;
    };

/** Handles one method on one path. */
export type RouteHandler = (req: HubRequest) => Promise<RouteResult>;

/**
 * Runs around every request, before routing: answer it directly, or call `next()` and adjust
 * the result (e.g. add headers). A thrown `HubError` becomes its JSON error response.
 */
export type Middleware = (req: HubRequest, next: () => Promise<RouteResult>) => Promise<RouteResult>;

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
   * `basePath`.
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

const encoder = new TextEncoder();

function noop(): void {}

function parseTargets(value: unknown, where: string): Partial<EventMeta> {
  const bad = () =>
    new HubError(
      400,
      'invalid-event',
      `${where}The "to" field must look like {"users":["u1"]} or {"sessions":["s1"]}.`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const v = value as Record<string, unknown>;
  const list = (x: unknown) =>
    x === undefined
      ? undefined
      : Array.isArray(x) && x.length <= 1000 && x.every((s) => typeof s === 'string' && s.length > 0)
        ? (x as string[])
        : (() => {
            throw bad();
          })();
  for (const k of Object.keys(v)) if (k !== 'users' && k !== 'sessions') throw bad();
  const users = list(v.users);
  const sessions = list(v.sessions);
  if (!users && !sessions) throw bad();
  return { to: { ...(users && { users }), ...(sessions && { sessions }) } };
}

class HubImpl implements FaceHost {
  readonly nodeId: string;
  readonly options: ResolvedHubOptions;
  readonly engine: Engine;
  private readonly authorizer: Authorizer;
  private readonly security: Security;
  private readonly middlewares: Middleware[] = [];
  readonly log: Logger;
  private readonly observers: HubObserver[];
  private obs: Required<HubObserver>;
  private readonly index = new SubscriberIndex<SseConnection>();
  private readonly conns = new Map<string, SseConnection>();
  /** How to remove each connection from the dispatcher that feeds it (see `openStream`). */
  private readonly releases = new Map<string, () => void>();
  private readonly closeHooks: Array<() => void | Promise<void>> = [];
  private readonly routes = new Map<string, Map<string, RouteHandler>>();
  /** GET paths that answer with an event stream: the ones the stream front may serve. */
  private readonly streamPaths = new Set<string>(['/events']);
  private readonly extraFields = new Map<string, ExtraFieldParser>([['to', parseTargets]]);
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /** The slow-consumer rule of every transport (one hub-wide sweep). */
  readonly slowConsumers: SlowConsumerRule;
  readonly replayLimits: ReplayLimits;
  private readonly unsubscribeBroker: () => void;
  private readonly unsubscribeGap: (() => void) | undefined;
  private readonly presence: PresenceHandle;
  private dispatchTail: Promise<void> = Promise.resolve();
  private connSeq = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly startedAt = Date.now();
  readonly sys = new SysChannel();
  private readonly commands: CommandRegistry;
  private readonly ws: WsChannel;
  private readonly budget: MemoryAccountant;

  constructor(o: HubOptions) {
    this.options = resolveOptions(o);
    this.nodeId = this.options.nodeId;
    this.slowConsumers = new SlowConsumerRule({
      maxBufferBytes: this.options.maxBufferBytes,
      graceMs: this.options.slowConsumerGraceMs,
    });
    this.replayLimits = replayLimits(this.options, this.slowConsumers);
    this.engine =
      o.engine ?? localEngine(o.store ?? new SqliteStore({ path: join('.tidings', 'history.db') }), o.broker);
    this.log = o.logger ?? silentLogger;
    this.observers = [...(o.observers ?? [])];
    this.obs = combineObservers(this.observers);
    // First, so an unusable auth configuration throws before timers and subscriptions exist.
    this.security = installSecurity(this, o, this.log);
    this.authorizer = this.security.authorizer;
    this.budget = new MemoryAccountant({
      budgetBytes: this.options.maxMemoryBytes,
      onShedding: (on, m) => {
        if (on) {
          this.log.warn(
            { budget: m.budgetBytes, used: m.usedBytes, rss: m.rssBytes, held: m.held },
            'memory budget reached: new streams, resumes and publishes get 503 until usage falls',
          );
        } else this.log.info({ budget: m.budgetBytes, used: m.usedBytes }, 'memory back under budget');
      },
    });
    this.budget.addOutboundSource(() => {
      let n = this.ws.bufferedBytes();
      for (const c of this.conns.values()) n += c.bufferedBytes;
      return n;
    });
    // After security's middleware: credentials are checked before anything is charged or read.
    this.use(
      memoryAdmission(
        this.budget,
        (path) => path === '/ws' || this.streamPaths.has(path),
        this.options.maxBodyBytes,
      ),
    );
    if (o.mercure) {
      try {
        installMercure(this, o.mercure);
      } catch (e) {
        // An unusable Mercure configuration: release what the security layer set up.
        void this.security.close();
        this.budget.close();
        throw e;
      }
    }
    this.commands = new CommandRegistry(this.options.commandTimeoutMs, this.log, (w, e) =>
      this.obs.error(w, e),
    );
    this.ws = new WsChannel({
      options: this.options,
      slowConsumers: this.slowConsumers,
      replayLimits: this.replayLimits,
      engine: this.engine,
      authorizer: this.authorizer,
      commands: this.commands,
      log: this.log,
      observers: () => this.obs,
      nextConnectionId: () => `${this.nodeId}-${(++this.connSeq).toString(36)}`,
      isClosing: () => this.closing,
      checkOrigin: (req) => this.security.checkWebSocketOrigin(req),
      budget: this.budget,
    });
    this.unsubscribeBroker = this.engine.broker.subscribe((events) => this.dispatch(events));
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();

    this.route('GET', '/events', (req) => this.subscribeRoute(req));
    this.route('POST', '/publish', (req) => this.publishRoute(req));
    this.route('GET', '/healthz', () => this.healthRoute());
    this.presence = installPresence(
      this,
      this.engine,
      (req, patterns) => this.authorizer.authorizeSubscribe(req, patterns),
      this.log,
    );
    this.unsubscribeGap = this.engine.broker.onGap?.(() => {
      resyncAfterGap(this.conns.values(), this.log);
      this.ws.resync();
    });
    this.route('GET', '/ws', (req) => this.ws.route(req));
    this.use(commandRoute(this.commands, this.authorizer, this.options));
    // createHubServer(hub.handleNode) finds the upgrade handler here and wires it, and serves
    // event streams through the hub's stream front.
    Object.defineProperty(this.handleNode, 'handleUpgrade', { value: this.handleUpgrade });
    Object.defineProperty(this.handleNode, STREAM_FRONT, { value: this });
  }

  // ---- public API -------------------------------------------------------------------------

  readonly handleNode = (req: IncomingMessage, res: ServerResponse): void => {
    const abort = new LazyAbort();
    const onClose = () => abort.close();
    res.on('close', onClose);
    let hreq: HubRequest;
    try {
      hreq = nodeRequest(req, this.options.basePath, abort);
    } catch {
      this.writeNode(
        res,
        json(400, { error: { code: 'bad-request', message: 'The request URL is malformed.' } }),
      );
      return;
    }
    this.handle(hreq)
      .then((result) => {
        if ('kind' in result) {
          // The client left while the route was deciding (e.g. during authorization): its
          // 'close' already fired, so a stream opened now would never be cleaned up.
          if (abort.closed || res.destroyed) return;
          // No chunk framing: the body ends with the connection, so event frames go to the
          // socket as they are (see NodeSink).
          closeDelimited(res);
          res.writeHead(200, result.headers);
          res.flushHeaders();
          req.socket.setNoDelay(true);
          req.socket.setKeepAlive(true, 30_000);
          // Once open, the stream's own close handling takes over (connection slots included):
          // the request's abort signal and everything it holds need not live as long as it.
          res.off('close', onClose);
          result.open(new NodeSink(res));
        } else {
          if (res.destroyed) return; // the client left (see ClientGoneError): nobody to answer
          // An unread body (a 413, a refusal before the body) must not be parsed as the next
          // request: this answer is the connection's last, closed so the client still reads it.
          if (result.status >= 400 && !req.complete) closeAfterAnswer(res);
          this.writeNode(res, result);
        }
      })
      .catch((err) => this.failNode(res, err));
  };

  /**
   * The last resort of `handleNode`: an answer that could not be written (a route's header with a
   * line break, a stream that failed to open) is logged once, counted, and becomes a `500` (or a
   * closed socket once headers are out), never an unhandled rejection, which would end the process.
   */
  private failNode(res: ServerResponse, err: unknown): void {
    const answer = this.internalError('node handler', err);
    try {
      this.writeNode(res, answer);
    } catch {
      res.destroy();
    }
  }

  /**
   * The stream front's entry (see `installStreamFront`): serves a plain GET to one of the stream
   * paths on the bare socket, the same way `handleNode` would, minus node:http's objects.
   */
  serveSocket(head: SimpleHead, socket: Socket): boolean {
    let url: URL;
    try {
      url = new URL(head.target, 'http://hub.invalid');
    } catch {
      return false;
    }
    const path = relativePath(url.pathname, this.options.basePath);
    if (path === undefined || !this.streamPaths.has(path)) return false;
    const abort = new LazyAbort();
    const onClose = () => abort.close();
    socket.on('close', onClose);
    const answer = (r: HubResponse) => {
      socket.end(rawHead(r.status, r.headers, Buffer.byteLength(r.body)) + r.body);
      socket.destroySoon();
    };
    this.handle(socketRequest(head, url, path, socket.remoteAddress ?? '', abort))
      .then((result) => {
        socket.off('close', onClose);
        if (abort.closed || socket.destroyed) return;
        if (!('kind' in result)) {
          answer(result);
          return;
        }
        socket.write(rawHead(200, result.headers));
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        result.open(NodeSink.forSocket(socket));
      })
      .catch((err) => {
        // handle() answers its own errors; what lands here is rawHead refusing a header with a
        // line break: answer 500 rather than split the response.
        if (!socket.destroyed) answer(this.internalError('stream front', err));
      });
    return true;
  }

  readonly handleUpgrade: UpgradeHandler = (req, socket, head) => {
    this.ws.handleUpgrade(req, socket, head, (hreq) => this.handle(hreq));
  };

  readonly fetch = async (request: Request, info?: FetchInfo): Promise<Response> => {
    let hreq: HubRequest;
    // Deno and Bun pass their own second argument to a fetch handler: only a string counts.
    const remote = typeof info?.remoteAddress === 'string' ? info.remoteAddress : '';
    try {
      hreq = webRequest(request, this.options.basePath, remote);
    } catch {
      return Response.json(
        { error: { code: 'bad-request', message: 'The request URL is malformed.' } },
        { status: 400 },
      );
    }
    let result: RouteResult;
    try {
      result = await this.handle(hreq);
    } catch (err) {
      result = this.internalError('fetch handler', err);
    }
    if ('kind' in result) {
      if (request.signal?.aborted) return new Response(null, { status: 499 });
      const sink = new WebSink();
      request.signal?.addEventListener('abort', () => sink.abandon(), { once: true });
      result.open(sink);
      return new Response(sink.stream, { status: 200, headers: result.headers });
    }
    return new Response(result.body, { status: result.status, headers: result.headers });
  };

  publish(input: PublishInput): Promise<PublishResult>;
  publish(input: readonly PublishInput[]): Promise<PublishResult[]>;
  async publish(input: PublishInput | readonly PublishInput[]): Promise<PublishResult | PublishResult[]> {
    const items = parsePublishInputs(input, this.options, this.extraFields);
    const results = (await this.publishParsed(items)).map(toPublishResult);
    return Array.isArray(input) ? results : (results[0] as PublishResult);
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values(), ...this.ws.connections()];
  }

  memory(): MemorySnapshot {
    return this.budget.snapshot();
  }

  disconnect(
    connectionId: string,
    reason: CloseReason = 'disconnected',
    notice?: Record<string, unknown>,
  ): boolean {
    const c = this.conns.get(connectionId);
    if (!c) return this.ws.disconnect(connectionId, reason, notice);
    if (notice) c.write(encoder.encode(encodeSseFrame({ event: reason, data: JSON.stringify(notice) })));
    c.close(reason);
    return true;
  }

  route(method: string, path: string, handler: RouteHandler): void {
    let m = this.routes.get(path);
    if (!m) {
      m = new Map();
      this.routes.set(path, m);
    }
    m.set(method.toUpperCase(), handler);
  }

  use(middleware: Middleware): void {
    this.middlewares.push(middleware);
  }

  onCommand<A = unknown, R = unknown>(
    name: string,
    handler: CommandHandler<A, R>,
    options?: CommandOptions,
  ): void {
    this.commands.register(name, handler as CommandHandler, options);
  }

  observe(observer: HubObserver): void {
    this.observers.push(observer);
    this.obs = combineObservers(this.observers);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearInterval(this.heartbeat);
      for (const c of [...this.conns.values()]) c.close('shutdown');
      this.ws.close();
      this.slowConsumers.close();
      this.commands.abortAll();
      await this.dispatchTail;
      this.unsubscribeBroker();
      this.unsubscribeGap?.();
      await this.presence.stop();
      for (const fn of this.closeHooks) await fn();
      await this.security.close();
      await this.engine.close();
      this.budget.close();
      this.log.info({ node: this.nodeId }, 'hub closed');
    })();
    return this.closed;
  }

  // ---- routing ----------------------------------------------------------------------------

  private async handle(req: HubRequest): Promise<RouteResult> {
    const run = (i: number): Promise<RouteResult> => {
      const mw = this.middlewares[i];
      return mw ? mw(req, () => run(i + 1)) : this.dispatchRoute(req);
    };
    try {
      return await run(0);
    } catch (err) {
      if (isHubError(err)) return this.reject(req, err);
      if (err instanceof ClientGoneError) return this.clientGone(req);
      return this.internalError(`${req.method} ${req.path}`, err);
    }
  }

  private async dispatchRoute(req: HubRequest): Promise<RouteResult> {
    const methods = this.routes.get(req.path);
    if (!methods) {
      return this.reject(
        req,
        new HubError(
          404,
          'not-found',
          `There is nothing at ${req.path}; the hub serves /events, /publish and /healthz.`,
        ),
      );
    }
    const handler = methods.get(req.method);
    if (!handler) {
      const allow = [...methods.keys()].join(', ');
      return this.reject(
        req,
        new HubError(
          405,
          'method-not-allowed',
          `${req.path} accepts ${allow}, not ${req.method}.`,
          undefined,
          {
            allow,
          },
        ),
      );
    }
    try {
      return await handler(req);
    } catch (err) {
      if (isHubError(err)) return this.reject(req, err);
      if (err instanceof ClientGoneError) return this.clientGone(req);
      return this.internalError(`${req.method} ${req.path}`, err);
    }
  }

  private reject(req: HubRequest, err: HubError): HubResponse {
    this.obs.requestRejected(req, err);
    // Refusals for the memory budget are logged once per episode by the accountant, not per request.
    if (err.status >= 500 && err.detail?.option !== 'maxMemoryBytes')
      this.log.warn({ path: req.path, code: err.code }, err.message);
    return json(err.status, err.toBody(), err.headers);
  }

  /**
   * A client that left mid-body: its choice, not a failure of the hub, so a debug line and no
   * error count. The answer (499, nginx's "client closed request") is for adapters that write it
   * anyway; node:http's connection is already gone.
   */
  private clientGone(req: HubRequest): HubResponse {
    this.log.debug(
      { path: req.path, remote: req.remoteAddress },
      'client left before sending the whole body',
    );
    return json(499, {
      error: {
        code: 'client-closed',
        message: 'The client closed the connection before sending the whole body.',
      },
    });
  }

  private internalError(where: string, err: unknown): HubResponse {
    this.obs.error(where, err);
    this.log.error({ err, where }, 'internal error');
    return json(500, {
      error: {
        code: 'internal',
        message: 'The hub failed to handle this request; it has been logged. Try again.',
      },
    });
  }

  private writeNode(res: ServerResponse, r: HubResponse): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
    res.end(r.body);
  }

  // ---- routes -----------------------------------------------------------------------------

  private async subscribeRoute(req: HubRequest): Promise<RouteResult> {
    if (this.closing) {
      throw new HubError(503, 'unavailable', 'The hub is shutting down; reconnect in a moment.', undefined, {
        'retry-after': '1',
      });
    }
    const sub = parseSubscription(req, this.options.maxTopicsPerSubscription);
    const sys = this.sys.isSysSubscription(sub.patterns);
    // Credentials first: a refused (or revoked) token gets its 401/403 even while the store is
    // unreachable, rather than a 503 that invites it to retry.
    const grant = sys
      ? await this.sys.admit(req)
      : await this.authorizer.authorizeSubscribe(
          req,
          sub.patterns.map((p) => p.source),
        );
    // A fresh stream starts at the current head: the connected frame tells the client that
    // position, and the catch-up below covers anything appended before registration.
    const head = sub.lastEventId === undefined && !sys ? await this.engine.store.head() : undefined;
    return this.openStream({
      headers: { ...SSE_HEADERS },
      connect: (id, host, sink) =>
        new SseConnection(id, host, sink, sub.patterns, grant, req.remoteAddress, !sys),
      greeting: (conn) =>
        encoder.encode(
          encodeSseFrame({
            retry: this.options.retryMs,
            event: 'connected',
            data: JSON.stringify({
              connectionId: conn.id,
              topics: conn.topics,
              heartbeatMs: this.options.heartbeatMs,
              serverTime: new Date().toISOString(),
              ...(!sys && {
                lastEventId: sub.lastEventId ?? this.engine.store.idAt(head ?? '0'),
              }),
            }),
          }),
        ),
      register: (conn) => {
        if (sys) this.sys.add(conn);
        else for (const p of sub.patterns) this.index.add(conn, p);
        // Removal happens in connectionClosed, which knows the hub's own index. A closure made
        // here would keep this request's whole scope (URL, headers, grant) alive per stream.
        return noop;
      },
      replay: sys
        ? undefined
        : {
            from: sub.lastEventId === undefined ? { pos: head ?? '0' } : { lastEventId: sub.lastEventId },
            filter: {
              topics: sub.patterns.filter((p) => !p.wildcard).map((p) => p.source),
              patterns: sub.patterns.filter((p) => p.wildcard),
            },
          },
    });
  }

  openStream(spec: StreamSpec): RouteResult {
    return {
      kind: 'stream',
      headers: spec.headers,
      open: (sink) => {
        const id = `${this.nodeId}-${(++this.connSeq).toString(36)}`;
        const conn = spec.connect(id, this, sink);
        if (this.closing) {
          conn.close('shutdown');
          return;
        }
        const hello = spec.greeting?.(conn);
        if (hello) conn.write(hello);
        if (conn.state === 'closed') return;
        this.conns.set(id, conn);
        this.releases.set(id, spec.register(conn));
        this.obs.connectionOpened(conn);
        this.log.debug(
          {
            conn: id,
            topics: conn.topics,
            resume: spec.replay !== undefined && 'lastEventId' in spec.replay.from,
          },
          'stream opened',
        );
        if (spec.replay) this.resume(conn, spec.replay);
      },
    };
  }

  private resume(conn: SseConnection, replay: NonNullable<StreamSpec['replay']>): void {
    const reads = accountedReads(this.engine.store, this.budget);
    catchUp(reads.store, conn, replay.filter, replay.from, this.replayLimits, replay.truncation)
      .finally(reads.done)
      .then(
        (r) => {
          if (r.reset) this.obs.resetSent(conn, r.reset);
          if (r.replayed) this.obs.replayed(conn, r.replayed);
        },
        (err) => {
          this.obs.error('replay', err);
          this.log.error({ err, conn: conn.id }, 'replay failed; closing the stream so the client retries');
          conn.close('error');
        },
      );
  }

  private async publishRoute(req: HubRequest): Promise<HubResponse> {
    const ctype = req.header('content-type');
    if (ctype && !/^application\/([\w.+-]*\+)?json\b/i.test(ctype)) {
      throw new HubError(
        415,
        'unsupported-media-type',
        `POST /publish takes application/json, not ${ctype.split(';')[0]}.`,
      );
    }
    const text = await req.text(this.options.maxBodyBytes);
    const { items, batch } = parsePublishBody(text, this.options, this.extraFields);
    const principal = await this.authorizer.authorizePublish(
      req,
      items.map((i) => i.topic),
    );
    // Supplied ids are idempotent per publisher and topic: a duplicate answer below can only be
    // the caller's own event, and nobody else's id can suppress this publish.
    const results = await this.publishParsed(items, publisherKey(principal));
    const anyNew = results.some((r) => !r.duplicate);
    if (!batch) {
      const r = results[0] as AppendResult;
      return r.duplicate
        ? json(200, { id: r.event.id, duplicate: true, event: toEnvelope(r.event) })
        : json(201, { id: r.event.id });
    }
    const duplicates = results.flatMap((r, i) => (r.duplicate ? [i] : []));
    return json(anyNew ? 201 : 200, {
      ids: results.map((r) => r.event.id),
      ...(duplicates.length && { duplicates }),
    });
  }

  private async healthRoute(): Promise<HubResponse> {
    const engineHealth = (await this.engine.health?.()) ?? { status: 'ok' as const };
    const status = this.closing ? 'shutting-down' : engineHealth.status;
    return json(this.closing ? 503 : 200, {
      status,
      node: this.nodeId,
      store: this.engine.store.kind,
      broker: this.engine.broker.kind,
      connections: this.conns.size + this.ws.size,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      ...(engineHealth.detail && { detail: engineHealth.detail }),
    });
  }

  // ---- publishing and fan-out -------------------------------------------------------------

  async publishParsed(
    items: readonly ParsedPublish[],
    publisher: string = BACKEND_PUBLISHER,
  ): Promise<AppendResult[]> {
    if (this.closing) {
      throw new HubError(
        503,
        'unavailable',
        'The hub is shutting down; publish to another node or retry shortly.',
      );
    }
    for (const i of items) {
      if (isReservedTopic(i.topic)) {
        throw new HubError(
          400,
          'invalid-topic',
          `The topic "${i.topic}" starts with "$", which is reserved for the hub's own topics such as $sys/stats; publish to a name without "$".`,
        );
      }
    }
    const started = performance.now();
    const ts = Date.now();
    const events: NewEvent[] = items.map((i) => ({
      id: i.id,
      publisher: i.id === undefined ? undefined : publisher,
      topic: i.topic,
      type: i.type,
      ts,
      dataJson: i.dataJson,
      meta: i.meta,
    }));
    // Appends start in call order (stores apply them in that order); the broker is fed through
    // a chain so fan-out follows the same order even when a store resolves out of order.
    const appending = this.engine.store.append(events);
    appending.catch((err) => {
      // A refusal of the publisher's input (e.g. a reserved id) is not a store failure.
      if (!isHubError(err) || err.status >= 500) this.obs.error('store', err);
    });
    const delivered = this.dispatchTail.then(async () => {
      const results = await appending.catch(() => undefined);
      if (!results) return; // the publisher gets the store's error below
      const fresh = results.filter((r) => !r.duplicate).map((r) => r.event);
      if (fresh.length === 0) return;
      this.obs.published(fresh, performance.now() - started);
      await this.engine.broker.publish(fresh);
    });
    const mine = delivered.catch((err) => {
      // The events are durable; subscribers that miss them live get them on resume.
      this.obs.error('broker', err);
      this.log.error({ err }, 'broker publish failed');
    });
    this.dispatchTail = mine;
    const results = await appending;
    await mine;
    return results;
  }

  private dispatch(events: readonly StoredEvent[]): void {
    this.ws.dispatch(events);
    for (const ev of events) {
      if (!this.index.hasAny(ev.topic)) continue;
      let frame: Uint8Array | undefined;
      let n = 0;
      this.index.forEach(ev.topic, (c) => {
        frame ??= encoder.encode(eventFrame(ev));
        if (c.deliver(ev, frame)) n++;
      });
      if (n > 0) this.obs.delivered(ev, n);
    }
  }

  private beat(): void {
    if (this.conns.size === 0) return;
    const frame = encoder.encode(
      encodeSseFrame({ event: 'heartbeat', data: `{"time":"${new Date().toISOString()}"}` }),
    );
    for (const c of this.conns.values()) c.heartbeat(frame);
  }

  // ---- FaceHost -----------------------------------------------------------------------------

  addStreamPath(path: string): void {
    this.streamPaths.add(path);
  }

  get isClosing(): boolean {
    return this.closing;
  }

  admitStream(principal: Principal, req: HubRequest): Promise<Principal> {
    return this.security.admitStream(principal, req);
  }

  checkPublishRate(principal: Principal, req: HubRequest, events: number): Promise<void> {
    return this.security.checkPublishRate(principal, req, events);
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closeHooks.push(fn);
  }

  /** Adds a middleware outside every other one (it runs first). */
  useFirst(middleware: Middleware): void {
    this.middlewares.unshift(middleware);
  }

  // ---- ConnectionHost ---------------------------------------------------------------------

  connectionClosed(conn: SseConnection, reason: CloseReason): void {
    if (!this.conns.delete(conn.id)) return;
    this.releases.get(conn.id)?.();
    this.releases.delete(conn.id);
    this.sys.remove(conn);
    for (const p of conn.patterns) this.index.remove(conn, p);
    if (reason === 'slow-consumer') {
      this.obs.slowConsumer(conn);
      this.log.warn(
        {
          conn: conn.id,
          user: conn.user,
          limit: this.options.maxBufferBytes,
          graceMs: this.options.slowConsumerGraceMs,
        },
        'dropped a slow consumer; it will resume with Last-Event-ID',
      );
    }
    this.obs.connectionClosed(conn, reason);
    this.log.debug(
      {
        conn: conn.id,
        reason,
        durationMs: Date.now() - conn.openedAt,
        events: conn.eventsSent,
        bytes: conn.bytesSent,
      },
      'stream closed',
    );
  }
}

function toPublishResult(r: AppendResult): PublishResult {
  return { id: r.event.id, event: toEnvelope(r.event), duplicate: r.duplicate };
}

/**
 * Creates a hub.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createHub, memoryStore } from '@tidings/server';
 * const hub = createHub({ store: memoryStore() });
 * http.createServer(hub.handleNode).listen(8080);
 * await hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '10.0.0.7' } });
 * ```
 * @see HubOptions for every option and its default.
 */
export function createHub(options: HubOptions = {}): Hub {
  return new HubImpl(options);
}
