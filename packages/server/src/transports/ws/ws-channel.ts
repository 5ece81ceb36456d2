import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  compilePattern,
  type TopicPattern,
  validatePattern,
  WS_PROTOCOL_VERSION,
  WS_SUBPROTOCOL,
} from '@tidings/protocol';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ReplayLimits } from '../../core/catch-up.js';
import type { MayReceive } from '../../core/delivery-rule.js';
import { HubError } from '../../core/errors.js';
import type { PluginHost } from '../../core/hub-plugin.js';
import type { CloseReason } from '../../core/observer.js';
import { replay } from '../../core/replay.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import type { SlowConsumerRule } from '../../core/slow-consumer-rule.js';
import { shuttingDown } from '../../http/answers.js';
import type { HubRequest, HubResponse } from '../../http/hub-request.js';
import { readSubscription, type SubscriptionDialect } from '../../http/parse-subscription.js';
import type { CommandRegistry } from '../../plugins/commands/command-registry.js';
import { eventMessage } from './event-message.js';
import { upgradeRequired } from './upgrade-required.js';
import { WsConnection, type WsConnectionHost } from './ws-connection.js';
import { sysRefusal, WsMessages, type WsSubscriptions } from './ws-messages.js';
import { Subscription } from './ws-subscription.js';
import { handleWsUpgrade, type Opener, type UpgradeContext } from './ws-upgrade.js';

export { MAX_COMMANDS_IN_FLIGHT } from './ws-messages.js';

/** `GET /ws` and `subscribe` messages: hub topic patterns, `$` topics refused. */
const WS_DIALECT: SubscriptionDialect<TopicPattern> = {
  tooMany: (n, max) =>
    `This connection names ${n} topics; the limit is ${max}. Use a wildcard pattern such as "tenant/acme/**" instead.`,
  idParams: ['lastEventId'],
  idName: 'lastEventId',
  compile(t) {
    const err = validatePattern(t);
    if (err) throw new HubError(400, 'invalid-pattern', err.message, { topic: t.slice(0, 256) });
    if (isReservedTopic(t)) throw sysRefusal(t);
    return compilePattern(t);
  },
};

/**
 * `GET /ws`: the WebSocket face of the hub. Same topics, auth, ids, replay and outbound buffer
 * rule as `/events`; the client can also change its subscriptions, run commands and ping.
 */
export class WsChannel implements UpgradeContext, WsConnectionHost, WsSubscriptions {
  readonly wss: WebSocketServer;
  readonly upgrades = new WeakMap<HubRequest, { opener?: Opener }>();
  private readonly messages: WsMessages;
  // The hub's rules, as fields: every send and delivery reads them.
  readonly mayReceive: MayReceive;
  readonly slowConsumers: SlowConsumerRule;
  readonly replayLimits: ReplayLimits;
  /** The registry's dialect of `event` messages, encoded once per event for every WebSocket. */
  readonly dialect: number;

  constructor(
    private readonly host: PluginHost,
    commands: CommandRegistry,
    ws: typeof import('ws'),
  ) {
    const o = host.options;
    this.mayReceive = host.mayReceive;
    this.slowConsumers = host.slowConsumers;
    this.replayLimits = host.replayLimits;
    this.dialect = host.subscribers.addDialect(eventMessage);
    this.messages = new WsMessages(host, this, commands);
    this.wss = new ws.WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Past this the socket is closed with 1009; below it, oversized messages get a nack.
      maxPayload: Math.max(o.maxBodyBytes, o.maxCommandBytes + 1),
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
  }

  get basePath(): string {
    return this.host.options.basePath;
  }

  observers(): ReturnType<PluginHost['observers']> {
    return this.host.observers();
  }

  /** See {@link handleWsUpgrade}. */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    handle: (req: HubRequest) => Promise<HubResponse | { kind: string }>,
  ): void {
    handleWsUpgrade(this, req, socket, head, handle);
  }

  /** The `GET /ws` route, after the hub's middlewares. */
  async route(req: HubRequest): Promise<HubResponse> {
    const upgrade = this.upgrades.get(req);
    if (!upgrade) throw upgradeRequired();
    if (this.host.isClosing) throw shuttingDown();
    const offered = req.header('sec-websocket-protocol');
    if (
      offered !== undefined &&
      !offered
        .split(',')
        .map((s) => s.trim())
        .includes(WS_SUBPROTOCOL)
    ) {
      throw new HubError(
        400,
        'unsupported-protocol',
        `This hub speaks the WebSocket subprotocol ${WS_SUBPROTOCOL}; offer it, or none, instead of "${offered.slice(0, 60)}".`,
      );
    }
    this.host.access.checkWebSocketOrigin(req);
    const { patterns: read, lastEventId } = readSubscription(
      req,
      this.host.options.maxTopicsPerSubscription,
      WS_DIALECT,
    );
    const patterns = [...read];
    const store = this.host.engine.store;
    // Credentials before the store: a revoked token gets its refusal even while Redis is down.
    const grant = await this.host.access.authorizer.authorizeSubscribe(
      req,
      patterns.map((p) => p.source),
    );
    const head = lastEventId === undefined ? await store.head() : undefined;
    upgrade.opener = (ws) => {
      const conn = new WsConnection(this.host.nextConnectionId(), this, ws, grant.principal, req, () =>
        drained(ws),
      );
      const sub = new Subscription(conn, patterns, grant.canRead);
      if (patterns.length > 0) conn.subs.push(sub);
      if (this.host.isClosing) {
        conn.close('shutdown');
        return;
      }
      ws.on('message', (data, isBinary) => this.messages.guardedMessage(conn, data as Buffer, isBinary));
      ws.on('pong', () => {
        conn.alive = true;
      });
      ws.on('error', (err) => this.host.log.debug({ err, conn: conn.id }, 'websocket error'));
      conn.send(
        JSON.stringify({
          op: 'connected',
          v: WS_PROTOCOL_VERSION,
          connectionId: conn.id,
          topics: conn.topics,
          heartbeatMs: this.host.options.heartbeatMs,
          serverTime: new Date().toISOString(),
          lastEventId: lastEventId ?? store.idAt(head ?? '0'),
        }),
      );
      if (conn.isClosed()) return;
      this.host.subscribers.add(conn, patterns);
      this.host.log.debug(
        { conn: conn.id, topics: conn.topics, resume: lastEventId !== undefined, transport: 'websocket' },
        'websocket opened',
      );
      if (patterns.length > 0) {
        this.startCatchUp(conn, sub, lastEventId === undefined ? { pos: head ?? '0' } : { lastEventId });
      }
    };
    return { status: 101, headers: {}, body: '' };
  }

  /** Replays one subscription's history (one subscription of a connection at a time), then live. */
  startCatchUp(conn: WsConnection, sub: Subscription, from: { lastEventId: string } | { pos: string }): void {
    const filter = {
      topics: sub.patterns.filter((p) => !p.wildcard).map((p) => p.source),
      patterns: sub.patterns.filter((p) => p.wildcard),
    };
    conn.replays = conn.replays.then(() =>
      replay(this.host, {
        conn,
        target: sub,
        filter,
        from,
        noun: 'connection',
        caughtUp: (r) => {
          sub.liveAfter = r.liveAfter;
        },
      }),
    );
  }

  // ---- WsConnectionHost ---------------------------------------------------------------------

  get log(): PluginHost['log'] {
    return this.host.log;
  }

  connectionClosed(conn: WsConnection, reason: CloseReason): void {
    this.host.subscribers.connectionClosed(conn, reason);
  }
}

/** Resolves when the socket under `ws` drained its write queue, or closed. */
function drained(ws: WebSocket): Promise<void> {
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  if (!socket?.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
