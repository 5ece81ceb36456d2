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
import { catchUp, type ReplayLimits } from '../../core/catch-up.js';
import type { MayReceive } from '../../core/delivery-rule.js';
import { HubError } from '../../core/errors.js';
import { Heartbeat } from '../../core/heartbeat.js';
import type { ConnectionSource, DeliveryLane, PluginHost } from '../../core/hub-plugin.js';
import type { CloseReason, ConnectionInfo } from '../../core/observer.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import type { SlowConsumerRule } from '../../core/slow-consumer-rule.js';
import type { StoredEvent } from '../../core/stored-event.js';
import { SubscriberIndex } from '../../core/subscriber-index.js';
import { shuttingDown } from '../../http/answers.js';
import type { HubRequest, HubResponse } from '../../http/hub-request.js';
import { readSubscription, type SubscriptionDialect } from '../../http/parse-subscription.js';
import { accountedReads } from '../../limits/replay-accounting.js';
import type { CommandRegistry } from '../../plugins/commands/command-registry.js';
import { upgradeRequired } from './upgrade-required.js';
import { eventMessage, Subscription, WsConnection } from './ws-connection.js';
import { sysRefusal, WsMessages } from './ws-messages.js';
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
export class WsChannel implements DeliveryLane, ConnectionSource, UpgradeContext {
  readonly wss: WebSocketServer;
  readonly index = new SubscriberIndex<WsConnection>();
  private readonly conns = new Map<string, WsConnection>();
  readonly upgrades = new WeakMap<HubRequest, { opener?: Opener }>();
  private readonly heartbeat: Heartbeat;
  private readonly messages: WsMessages;
  /** See `WsConnectionHost.mayReceive`: the hub's rule, read by every delivery. */
  readonly mayReceive: MayReceive;

  constructor(
    private readonly host: PluginHost,
    commands: CommandRegistry,
    ws: typeof import('ws'),
  ) {
    const o = host.options;
    this.mayReceive = host.mayReceive;
    this.messages = new WsMessages(host, this, commands);
    this.wss = new ws.WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Past this the socket is closed with 1009; below it, oversized messages get a nack.
      maxPayload: Math.max(o.maxBodyBytes, o.maxCommandBytes + 1),
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    this.heartbeat = new Heartbeat(o.heartbeatMs, () => this.beat());
  }

  get basePath(): string {
    return this.host.options.basePath;
  }

  get log(): PluginHost['log'] {
    return this.host.log;
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

  get size(): number {
    return this.conns.size;
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values()];
  }

  /** Bytes queued for every connection and not yet handed to the kernel. */
  bufferedBytes(): number {
    let n = 0;
    for (const c of this.conns.values()) n += c.bufferedBytes;
    return n;
  }

  // ---- the upgrade --------------------------------------------------------------------------

  /**
   * Handles a node:http `upgrade` event: runs the request through the hub's middlewares and the
   * `/ws` route (auth, origin, limits), then completes the WebSocket handshake.
   */
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
      this.conns.set(conn.id, conn);
      for (const p of patterns) this.index.add(conn, p);
      this.host.observers().connectionOpened(conn);
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
    const obs = this.host.observers();
    conn.replays = conn.replays.then(() => {
      const reads = accountedReads(this.host.engine.store, this.host.budget);
      return catchUp(reads.store, sub, filter, from, this.host.replayLimits)
        .finally(reads.done)
        .then(
          (r) => {
            sub.liveAfter = r.liveAfter;
            if (r.reset) obs.resetSent(conn, r.reset);
            if (r.replayed) obs.replayed(conn, r.replayed);
          },
          (err) => {
            obs.error('replay', err);
            this.host.log.error(
              { err, conn: conn.id },
              'replay failed; closing the connection so the client retries',
            );
            conn.close('error');
          },
        );
    });
  }

  // ---- messages -----------------------------------------------------------------------------

  // ---- fan-out, heartbeat, lifecycle ----------------------------------------------------------

  /** Live fan-out: one `event` message per event, shared by every matching connection. */
  dispatch(events: readonly StoredEvent[]): void {
    if (this.conns.size === 0) return;
    const obs = this.host.observers();
    for (const ev of events) {
      if (!this.index.hasAny(ev.topic)) continue;
      let message: Buffer | undefined;
      let n = 0;
      this.index.forEach(ev.topic, (c) => {
        message ??= eventMessage(ev);
        if (c.deliver(ev, message)) n++;
      });
      if (n > 0) obs.delivered(ev, n);
    }
  }

  /** Pings every connection; one that did not answer since the last ping is dropped. */
  private beat(): void {
    for (const c of this.conns.values()) {
      if (!c.alive) {
        this.host.log.debug({ conn: c.id }, 'websocket peer did not answer the ping; closing');
        c.close('heartbeat-timeout');
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** Closes one connection, with a notice message first when given. */
  disconnect(id: string, reason: CloseReason, notice?: Record<string, unknown>): boolean {
    const c = this.conns.get(id);
    if (!c) return false;
    if (notice) c.send(JSON.stringify({ ...notice, op: reason }));
    c.close(reason);
    return true;
  }

  /**
   * This node may have missed events (see `Broker.onGap`): every connection is closed, and its
   * client resumes from its last id, replaying from shared history.
   */
  resync(): void {
    for (const c of [...this.conns.values()]) c.close('resync');
  }

  close(): void {
    this.heartbeat.stop();
    const open = [...this.conns.values()];
    for (const c of open) c.close('shutdown');
    // A peer that does not answer the close frame must not hold the shutdown for ws's 30 s.
    if (open.length > 0) {
      setTimeout(() => {
        for (const c of open) c.ws.terminate();
      }, 1000).unref();
    }
  }

  // ---- WsConnectionHost ---------------------------------------------------------------------

  get slowConsumers(): SlowConsumerRule {
    return this.host.slowConsumers;
  }

  get replayLimits(): ReplayLimits {
    return this.host.replayLimits;
  }

  connectionClosed(conn: WsConnection, reason: CloseReason): void {
    if (!this.conns.delete(conn.id)) return;
    for (const s of conn.subs) for (const p of s.patterns) this.index.remove(conn, p);
    const obs = this.host.observers();
    if (reason === 'slow-consumer') {
      obs.slowConsumer(conn);
      this.host.log.warn(
        {
          conn: conn.id,
          user: conn.user,
          limit: this.host.options.maxBufferBytes,
          graceMs: this.host.options.slowConsumerGraceMs,
        },
        'dropped a slow websocket consumer; it will resume with its last event id',
      );
    }
    obs.connectionClosed(conn, reason);
    this.host.log.debug(
      { conn: conn.id, reason, durationMs: Date.now() - conn.openedAt, events: conn.eventsSent },
      'websocket closed',
    );
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
