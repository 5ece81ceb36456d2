import type { PublishInput } from '@tidings/protocol';
import { allowAll } from '../auth/authorizer.js';
import { type Engine, localEngine } from '../engines/engine.js';
import type { AppendResult } from '../engines/history-store.js';
import { fetchHandler } from '../http/fetch-host.js';
import { type HubRequest, type HubResponse, json } from '../http/hub-request.js';
import { NodeHost } from '../http/node-host.js';
import { RequestPipeline } from '../http/request-pipeline.js';
import type { Middleware, RouteHandler, RouteResult } from '../http/route.js';
import { STREAM_FRONT } from '../http/stream-front.js';
import { MemoryAccountant, type MemorySnapshot } from '../limits/memory-accountant.js';
import type { CommandHandler, CommandOptions } from '../plugins/commands/command-registry.js';
import type { SysTopics } from '../plugins/sys/sys-channel.js';
import { type ReplayLimits, replayLimits } from './catch-up.js';
import { defaultStore } from './default-store.js';
import { deliveryRule, type FaceOnly, type MayReceive } from './delivery-rule.js';
import type {
  Access,
  DeliveryLane,
  HubPlugin,
  PluginHost,
  StreamSpec,
  SubscriberTable,
} from './hub-plugin.js';
import type { FetchInfo, Hub, PublishResult, UpgradeHandler } from './hub-types.js';
import { type Logger, silentLogger } from './logger.js';
import { type CloseReason, type ConnectionInfo, combineObservers, type HubObserver } from './observer.js';
import { type HubOptions, type ResolvedHubOptions, resolveOptions } from './options.js';
import type { ParsedPublish } from './parse-publish.js';
import { publishRoute } from './publish-route.js';
import { Publisher } from './publisher.js';
import { Registry } from './registry.js';
import { SlowConsumerRule } from './slow-consumer-rule.js';

/** Without a security plugin: everyone may do everything, and nothing is limited. */
const OPEN_ACCESS: Access = {
  authorizer: allowAll,
  admitStream: async (principal) => ({ ...principal }),
  checkPublishRate: async () => {},
  checkWebSocketOrigin: () => {},
};

/**
 * The hub without its features: options, engine, the request pipeline, the publish pipeline and
 * the registry of open streams, plus the plugin host every feature installs itself on. It knows
 * no transport, protocol face or security rule (see `createHub` for the composition).
 */
export class HubCore implements PluginHost {
  readonly nodeId: string;
  readonly options: ResolvedHubOptions;
  readonly engine: Engine;
  readonly log: Logger;
  readonly slowConsumers: SlowConsumerRule;
  readonly replayLimits: ReplayLimits;
  readonly budget: MemoryAccountant;
  access: Access = OPEN_ACCESS;
  private readonly observerList: HubObserver[];
  private obs: Required<HubObserver>;
  private readonly pipeline: RequestPipeline;
  private readonly publisher: Publisher;
  private readonly registry: Registry;
  /** GET paths that answer with an event stream: the ones the stream front may serve. */
  private readonly streamPaths = new Set<string>();
  private readonly closingHooks: Array<() => void> = [];
  private readonly closeHooks: Array<() => void | Promise<void>> = [];
  private upgrade: UpgradeHandler | undefined;
  private commands: Hub['onCommand'] | undefined;
  private connSeq = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  readonly mayReceive: MayReceive;

  /**
   * @param sys the `$sys` topics (`hub.sys`).
   * @param faceOnly events a protocol face keeps to itself (see `FaceOnly`).
   */
  constructor(
    o: HubOptions,
    readonly sys: SysTopics,
    faceOnly: FaceOnly,
  ) {
    this.mayReceive = deliveryRule(faceOnly);
    this.options = resolveOptions(o);
    this.nodeId = this.options.nodeId;
    this.slowConsumers = new SlowConsumerRule({
      maxBufferBytes: this.options.maxBufferBytes,
      graceMs: this.options.slowConsumerGraceMs,
    });
    this.replayLimits = replayLimits(this.options, this.slowConsumers);
    this.engine = o.engine ?? localEngine(o.store ?? defaultStore(), o.broker);
    this.log = o.logger ?? silentLogger;
    this.observerList = [...(o.observers ?? [])];
    this.obs = combineObservers(this.observerList);
    this.pipeline = new RequestPipeline(this.log, () => this.obs);
    this.publisher = new Publisher(this);
    const opts = this.options;
    const log = this.log;
    const budget = new MemoryAccountant({
      budgetBytes: opts.maxMemoryBytes,
      onShedding: (on, m) => {
        if (on) {
          log.warn(
            { budget: m.budgetBytes, used: m.usedBytes, rss: m.rssBytes, held: m.held },
            'memory budget reached: new streams, resumes and publishes get 503 until usage falls',
          );
        } else log.info({ budget: m.budgetBytes, used: m.usedBytes }, 'memory back under budget');
      },
    });
    this.budget = budget;
    this.registry = new Registry(this);
    budget.addOutboundSource(() => this.registry.bufferedBytes());
    const node = new NodeHost(this);
    this.handleNode = node.handleNode;
    // createHubServer(hub.handleNode) finds the upgrade handler here and wires it, and serves
    // event streams through the hub's stream front.
    Object.defineProperty(this.handleNode, 'handleUpgrade', { value: this.handleUpgrade });
    Object.defineProperty(this.handleNode, STREAM_FRONT, { value: node });
    this.route('POST', '/publish', (req) =>
      publishRoute(req, this.publisher, this.access, opts.maxBodyBytes),
    );
    this.route('GET', '/healthz', () => this.healthRoute());
  }

  /** Installs a feature; see {@link HubPlugin}. */
  install(plugin: HubPlugin): void {
    plugin.install(this);
  }

  /** Starts heartbeats and live delivery, once every plugin is installed. */
  start(): void {
    this.registry.start();
  }

  /** Undoes a construction that failed while installing plugins (the engine stays open). */
  abort(): void {
    this.registry.close();
    for (const fn of this.closeHooks) void fn();
    this.budget.close();
  }

  // ---- host entry points ----------------------------------------------------------------------

  readonly handleNode: Hub['handleNode'];

  readonly handleUpgrade: UpgradeHandler = (req, socket, head) => {
    if (this.upgrade) this.upgrade(req, socket, head);
    else socket.destroy();
  };

  readonly fetch = (request: Request, info?: FetchInfo): Promise<Response> =>
    fetchHandler(this, request, info);

  // ---- public API -------------------------------------------------------------------------------

  publish(input: PublishInput): Promise<PublishResult>;
  publish(input: readonly PublishInput[]): Promise<PublishResult[]>;
  publish(input: PublishInput | readonly PublishInput[]): Promise<PublishResult | PublishResult[]> {
    return this.publisher.publish(input);
  }

  connections(): ConnectionInfo[] {
    return this.registry.connections();
  }

  memory(): MemorySnapshot {
    return this.budget.snapshot();
  }

  disconnect(
    connectionId: string,
    reason: CloseReason = 'disconnected',
    notice?: Record<string, unknown>,
  ): boolean {
    return this.registry.disconnect(connectionId, reason, notice);
  }

  route(method: string, path: string, handler: RouteHandler): void {
    this.pipeline.route(method, path, handler);
  }

  use(middleware: Middleware): void {
    this.pipeline.use(middleware);
  }

  onCommand<A = unknown, R = unknown>(
    name: string,
    handler: CommandHandler<A, R>,
    options?: CommandOptions,
  ): void {
    if (!this.commands) throw new Error('This hub was created without the commands plugin.');
    this.commands(name, handler, options);
  }

  observe(observer: HubObserver): void {
    this.observerList.push(observer);
    this.obs = combineObservers(this.observerList);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.registry.close();
      for (const fn of this.closingHooks) fn();
      this.slowConsumers.close();
      await this.publisher.settled;
      this.registry.detach();
      // Last installed, first closed: the security plugin, installed first, outlives the others.
      for (const fn of [...this.closeHooks].reverse()) await fn();
      await this.engine.close();
      this.budget.close();
      this.log.info({ node: this.nodeId }, 'hub closed');
    })();
    return this.closed;
  }

  // ---- PluginHost -------------------------------------------------------------------------------

  get isClosing(): boolean {
    return this.closing;
  }

  observers(): Required<HubObserver> {
    return this.obs;
  }

  nextConnectionId(): string {
    return `${this.nodeId}-${(++this.connSeq).toString(36)}`;
  }

  provideAccess(access: Access): void {
    this.access = access;
  }

  provideUpgrade(handler: UpgradeHandler): void {
    this.upgrade = handler;
  }

  provideCommands(register: Hub['onCommand']): void {
    this.commands = register;
  }

  addLane(lane: DeliveryLane): void {
    this.registry.addLane(lane);
  }

  get subscribers(): SubscriberTable {
    return this.registry;
  }

  openStream(spec: StreamSpec): RouteResult {
    return this.registry.openStream(spec);
  }

  publishParsed(items: readonly ParsedPublish[], publisher?: string): Promise<AppendResult[]> {
    return this.publisher.publishParsed(items, publisher);
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closeHooks.push(fn);
  }

  onClosing(fn: () => void): void {
    this.closingHooks.push(fn);
  }

  useFirst(middleware: Middleware): void {
    this.pipeline.useFirst(middleware);
  }

  addStreamPath(path: string): void {
    this.streamPaths.add(path);
  }

  /** Whether a GET to `path` answers with an event stream (the stream front may serve it). */
  isStreamPath(path: string): boolean {
    return this.streamPaths.has(path);
  }

  /** Runs a request through the middlewares and routes. */
  handle(req: HubRequest): Promise<RouteResult> {
    return this.pipeline.handle(req);
  }

  /** Logs and counts an unexpected failure at `where`; the `500` to answer with. */
  internalError(where: string, err: unknown): HubResponse {
    return this.pipeline.internalError(where, err);
  }

  private async healthRoute(): Promise<HubResponse> {
    const engineHealth = (await this.engine.health?.()) ?? { status: 'ok' as const };
    const status = this.closing ? 'shutting-down' : engineHealth.status;
    const connections = this.registry.size;
    return json(this.closing ? 503 : 200, {
      status,
      node: this.nodeId,
      store: this.engine.store.kind,
      broker: this.engine.broker.kind,
      connections,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      ...(engineHealth.detail && { detail: engineHealth.detail }),
    });
  }
}
