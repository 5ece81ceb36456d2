import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  compilePattern,
  parseClientMessage,
  type TopicPattern,
  validatePattern,
  WS_CLOSE,
  WS_PROTOCOL_VERSION,
  WS_SUBPROTOCOL,
  type WsCommandMessage,
  type WsErrorBody,
  type WsSubscribeMessage,
  type WsUnsubscribeMessage,
} from '@tidings/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authorizer, Principal } from '../../auth/authorizer.js';
import { catchUp, type ReplayLimits } from '../../core/catch-up.js';
import { HubError, isHubError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CloseReason, ConnectionInfo, HubObserver } from '../../core/observer.js';
import type { ResolvedHubOptions } from '../../core/options.js';
import type { SlowConsumerRule } from '../../core/slow-consumer-rule.js';
import type { StoredEvent } from '../../core/stored-event.js';
import { SubscriberIndex } from '../../core/subscriber-index.js';
import type { Engine } from '../../engines/engine.js';
import { CONNECTION_CLOSED, type HubRequest, type HubResponse } from '../../http/hub-request.js';
import { nodeRequest } from '../../http/node-request.js';
import type { MemoryAccountant } from '../../limits/memory-accountant.js';
import { REPLAY_COST } from '../../limits/memory-admission.js';
import { accountedReads } from '../../limits/replay-accounting.js';
import { type Rate, TokenBuckets } from '../../limits/token-bucket.js';
import type { CommandRegistry } from '../../plugins/commands/command-registry.js';
import { isReservedTopic } from '../../plugins/sys/sys-channel.js';
import { eventMessage, Subscription, WsConnection } from './ws-connection.js';

/** Most commands one connection may have running at once; more get `nack` `too-many-commands`. */
export const MAX_COMMANDS_IN_FLIGHT = 32;

/** What the WebSocket channel needs from its hub. */
export interface WsChannelHost {
  readonly options: ResolvedHubOptions;
  /** The hub's slow-consumer rule, shared with its event streams. */
  readonly slowConsumers: SlowConsumerRule;
  readonly replayLimits: ReplayLimits;
  readonly engine: Engine;
  readonly authorizer: Authorizer;
  readonly commands: CommandRegistry;
  readonly log: Logger;
  observers(): Required<HubObserver>;
  nextConnectionId(): string;
  isClosing(): boolean;
  /** Refuses browser origins the CORS allow-list does not name. */
  checkOrigin(req: HubRequest): void;
  /** The hub's memory accountant: runtime resumes ask it, replay pages report to it. */
  readonly budget: MemoryAccountant;
}

type Opener = (ws: WebSocket) => void;

function errorBody(e: HubError): WsErrorBody {
  return { ...e.detail, code: e.code, message: e.message };
}

/** A whole-sentence close reason within the 123 bytes a close frame allows. */
function closeReason(s: string): string {
  return Buffer.byteLength(s) <= 123 ? s : `${Buffer.from(s).subarray(0, 119).toString('utf8')}...`;
}

/**
 * `GET /ws`: the WebSocket face of the hub. Same topics, auth, ids, replay and outbound buffer
 * rule as `/events`; the client can also change its subscriptions, run commands and ping.
 */
export class WsChannel {
  private readonly wss: WebSocketServer;
  private readonly index = new SubscriberIndex<WsConnection>();
  private readonly conns = new Map<string, WsConnection>();
  private readonly upgrades = new WeakMap<HubRequest, { opener?: Opener }>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /** Largest message handled; larger ones (up to the hard limit) get `nack` `message-too-large`. */
  private readonly maxMessageBytes: number;
  /** Messages per connection id. */
  private readonly rate: TokenBuckets | undefined;

  constructor(private readonly host: WsChannelHost) {
    const o = host.options;
    this.maxMessageBytes = o.maxCommandBytes;
    // Validates the rate (a RangeError at createHub for an unusable one).
    this.rate = o.webSocketMessageRate ? new TokenBuckets(o.webSocketMessageRate) : undefined;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Past this the socket is closed with 1009; below it, oversized messages get a nack.
      maxPayload: Math.max(o.maxBodyBytes, o.maxCommandBytes + 1),
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs);
    this.heartbeat.unref();
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
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    handle: (req: HubRequest) => Promise<HubResponse | { kind: string }>,
  ): void {
    // Until ws takes the socket over, a reset by the peer must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const abort = new AbortController();
    socket.once('close', () => abort.abort(CONNECTION_CLOSED));
    let hreq: HubRequest;
    try {
      hreq = nodeRequest(req, this.host.options.basePath, abort);
    } catch {
      this.rawAnswer(socket, 400, {
        error: { code: 'bad-request', message: 'The request URL is malformed.' },
      });
      return;
    }
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (isWebSocket) this.upgrades.set(hreq, {});
    const answered = handle(hreq).then(
      (result) => {
        if (abort.signal.aborted || socket.destroyed) return;
        const opener = this.upgrades.get(hreq)?.opener;
        if ('status' in result && result.status === 101 && opener) {
          this.wss.handleUpgrade(req, socket, head, opener);
          return;
        }
        if (!('status' in result)) {
          // An event stream (GET /events) asked for with an Upgrade header.
          this.rawAnswer(socket, 400, {
            error: {
              code: 'bad-request',
              message: `Only /ws accepts WebSocket upgrades; ${hreq.path} is plain HTTP.`,
            },
          });
          return;
        }
        const r = result as HubResponse;
        if (r.status < 400) {
          // Not an upgrade the hub serves (GET /healthz with an Upgrade header): answer as usual.
          this.rawAnswer(socket, r.status, r.body, r.headers);
          return;
        }
        let error: WsErrorBody;
        try {
          error = (JSON.parse(r.body) as { error: WsErrorBody }).error;
        } catch {
          error = { code: 'internal', message: 'The hub could not open this connection.' };
        }
        // Browsers hide the status of a refused handshake: on /ws, accept it and say why, then
        // close with 4000 + status. A subprotocol we do not speak cannot be accepted at all, and
        // a hub over its memory budget refuses before the handshake costs it a connection.
        if (
          isWebSocket &&
          hreq.path === '/ws' &&
          r.status >= 400 &&
          error.code !== 'unsupported-protocol' &&
          error.option !== 'maxMemoryBytes'
        ) {
          this.wss.handleUpgrade(req, socket, head, (ws) => {
            ws.send(JSON.stringify({ op: 'error', status: r.status, error }));
            ws.close(WS_CLOSE.refusedBase + Math.min(r.status, 999), closeReason(error.message));
          });
          return;
        }
        this.rawAnswer(socket, r.status, { error }, r.headers);
      },
      () =>
        this.rawAnswer(socket, 500, {
          error: {
            code: 'internal',
            message: 'The hub failed to handle this request; it has been logged. Try again.',
          },
        }),
    );
    answered.catch((err) => {
      // The last resort: an answer that could not be written (a route's header with a line
      // break, a handshake that threw) must not become an unhandled rejection.
      this.host.observers().error('websocket upgrade', err);
      this.host.log.error({ err }, 'websocket upgrade failed');
      socket.destroy();
    });
  }

  /** Answers on the raw socket as HTTP: a JSON body (an object, or JSON text as is), then close. */
  private rawAnswer(
    socket: Duplex,
    status: number,
    json: object | string,
    headers: Record<string, string> = {},
  ): void {
    if (socket.destroyed) return;
    const body = typeof json === 'string' ? json : JSON.stringify(json);
    const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
    for (const [k, v] of Object.entries({
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    })) {
      // A line break would split the response: refuse it (the caller's last resort closes).
      if (/[\r\n\0]/.test(k) || /[\r\n\0]/.test(v)) {
        throw new TypeError(`The response header ${JSON.stringify(k)} contains a line break or NUL.`);
      }
      lines.push(`${k}: ${v}`);
    }
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  /** The `GET /ws` route, after the hub's middlewares. */
  async route(req: HubRequest): Promise<HubResponse> {
    const upgrade = this.upgrades.get(req);
    if (!upgrade) {
      throw new HubError(
        426,
        'upgrade-required',
        'GET /ws is the WebSocket endpoint: connect with a WebSocket client. A server made with http.createServer(hub.handleNode) must also pass upgrades on: server.on("upgrade", hub.handleUpgrade), or use createHubServer.',
        undefined,
        { upgrade: 'websocket' },
      );
    }
    if (this.host.isClosing()) {
      throw new HubError(503, 'unavailable', 'The hub is shutting down; reconnect in a moment.', undefined, {
        'retry-after': '1',
      });
    }
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
    this.host.checkOrigin(req);
    const { patterns, lastEventId } = this.parseQuery(req);
    const store = this.host.engine.store;
    // Credentials before the store: a revoked token gets its refusal even while Redis is down.
    const grant = await this.host.authorizer.authorizeSubscribe(
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
      if (this.host.isClosing()) {
        conn.close('shutdown');
        return;
      }
      ws.on('message', (data, isBinary) => this.guardedMessage(conn, data as Buffer, isBinary));
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

  private parseQuery(req: HubRequest): { patterns: TopicPattern[]; lastEventId: string | undefined } {
    const raw = [...new Set(req.url.searchParams.getAll('topic'))];
    const max = this.host.options.maxTopicsPerSubscription;
    if (raw.length > max) {
      throw new HubError(
        400,
        'too-many-topics',
        `This connection names ${raw.length} topics; the limit is ${max}. Use a wildcard pattern such as "tenant/acme/**" instead.`,
        { limit: max },
      );
    }
    const patterns = raw.map((t) => {
      const err = validatePattern(t);
      if (err) throw new HubError(400, 'invalid-pattern', err.message, { topic: t.slice(0, 256) });
      if (isReservedTopic(t)) throw this.sysRefusal(t);
      return compilePattern(t);
    });
    const header = req.header('last-event-id');
    const query = req.url.searchParams.get('lastEventId') ?? undefined;
    const lastEventId = header !== undefined && header !== '' ? header : query || undefined;
    if (lastEventId !== undefined && lastEventId.length > 1024) {
      throw new HubError(
        400,
        'bad-request',
        `The lastEventId is ${lastEventId.length} characters long; ids are at most 1024.`,
      );
    }
    return { patterns, lastEventId };
  }

  private sysRefusal(topic: string): HubError {
    return new HubError(
      400,
      'invalid-pattern',
      `The topic "${topic}" is one of the hub's own $ topics, which are served over /events with the admin token only.`,
      { topic },
    );
  }

  private startCatchUp(
    conn: WsConnection,
    sub: Subscription,
    from: { lastEventId: string } | { pos: string },
  ): void {
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

  /**
   * The last-resort guard around every message: a throw from inside `ws`'s 'message' event would
   * be an uncaught exception and end the process. Whatever escapes the handler is logged once,
   * counted (`tidings_errors_total{where="websocket"}`) and answered with `nack internal`; the
   * connection and the hub go on.
   */
  private guardedMessage(conn: WsConnection, data: Buffer, isBinary: boolean): void {
    try {
      this.onMessage(conn, data, isBinary);
    } catch (err) {
      this.failed(conn, err, null);
    }
  }

  private onMessage(conn: WsConnection, data: Buffer, isBinary: boolean): void {
    conn.alive = true;
    if (conn.isClosed()) return;
    if (isBinary) {
      conn.close('protocol-error', 'Send JSON messages as text frames; binary frames are not accepted.');
      return;
    }
    const wait = this.rate?.take(conn.id) ?? 0;
    if (wait > 0) {
      const r = this.rate?.rate as Rate;
      this.nack(conn, null, {
        code: 'rate-limited',
        message: `This connection sends more than ${r.perSecond} messages per second (bursts of ${r.burst}); this one was dropped, so slow down and retry after ${Math.ceil(wait / 1000)} s.`,
        option: 'webSocketMessageRate',
        limit: r.perSecond,
        retryAfterS: Math.ceil(wait / 1000),
      });
      return;
    }
    if (data.byteLength > this.maxMessageBytes) {
      this.nack(conn, null, {
        code: 'message-too-large',
        message: `The message is ${data.byteLength} bytes; this hub accepts at most ${this.maxMessageBytes}. Send smaller command arguments.`,
        limit: this.maxMessageBytes,
      });
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.nack(conn, parsed.id, parsed.error);
      return;
    }
    const m = parsed.message;
    switch (m.op) {
      case 'ping':
        conn.send(`{"op":"pong","id":${JSON.stringify(m.id)}}`);
        return;
      case 'command':
        void this.command(conn, m);
        return;
      case 'subscribe':
        conn.control = conn.control
          .then(() => this.subscribe(conn, m))
          .catch((err) => this.failed(conn, err, m.id));
        return;
      case 'unsubscribe':
        conn.control = conn.control
          .then(() => this.unsubscribe(conn, m))
          .catch((err) => this.failed(conn, err, m.id));
        return;
    }
  }

  /** An unexpected failure handling a message: logged once, counted, and answered with a nack. */
  private failed(conn: WsConnection, err: unknown, id: string | null | undefined): void {
    this.host.observers().error('websocket', err);
    this.host.log.error({ err, conn: conn.id }, 'websocket message handling failed');
    if (conn.isClosed()) return;
    this.nack(conn, id, {
      code: 'internal',
      message: 'The hub failed to handle this message; it has been logged. Try again.',
    });
  }

  private nack(conn: WsConnection, id: string | null | undefined, error: WsErrorBody): void {
    conn.send(JSON.stringify({ op: 'nack', id: id ?? null, error }));
  }

  private async subscribe(conn: WsConnection, m: WsSubscribeMessage): Promise<void> {
    if (conn.isClosed()) return;
    const have = new Set(conn.topics);
    const fresh = [...new Set(m.topics)].filter((t) => !have.has(t));
    const max = this.host.options.maxTopicsPerSubscription;
    if (have.size + fresh.length > max) {
      this.nack(conn, m.id, {
        code: 'too-many-topics',
        message: `This connection would have ${have.size + fresh.length} topics; the limit is ${max}. Unsubscribe from some, or use a wildcard pattern.`,
        limit: max,
      });
      return;
    }
    const sys = fresh.find(isReservedTopic);
    if (sys !== undefined) {
      this.nack(conn, m.id, errorBody(this.sysRefusal(sys)));
      return;
    }
    if (fresh.length > 0 && m.lastEventId !== undefined) {
      // A resume reads history: new work the memory budget must allow.
      try {
        this.host.budget.admit('replay', REPLAY_COST);
      } catch (e) {
        if (!isHubError(e)) throw e;
        this.nack(conn, m.id, errorBody(e));
        return;
      }
    }
    if (fresh.length > 0) {
      const store = this.host.engine.store;
      const head = m.lastEventId === undefined ? await store.head() : undefined;
      let canRead: ((topic: string) => boolean) | undefined;
      try {
        canRead = (await this.host.authorizer.authorizeSubscribe(conn.request, fresh)).canRead;
      } catch (e) {
        if (!isHubError(e)) throw e;
        this.nack(conn, m.id, errorBody(e));
        return;
      }
      if (conn.isClosed()) return;
      const patterns = fresh.map((t) => compilePattern(t));
      const sub = new Subscription(conn, patterns, canRead);
      conn.subs.push(sub);
      for (const p of patterns) this.index.add(conn, p);
      this.startCatchUp(
        conn,
        sub,
        m.lastEventId === undefined ? { pos: head ?? '0' } : { lastEventId: m.lastEventId },
      );
    }
    if (fresh.length > 0) this.host.observers().topicsChanged(conn);
    if (m.id !== undefined)
      conn.send(JSON.stringify({ op: 'ack', id: m.id, result: { topics: conn.topics } }));
  }

  private async unsubscribe(conn: WsConnection, m: WsUnsubscribeMessage): Promise<void> {
    if (conn.isClosed()) return;
    const drop = new Set(m.topics);
    const before = conn.topics.length;
    for (let i = conn.subs.length - 1; i >= 0; i--) {
      const s = conn.subs[i] as Subscription;
      const keep: TopicPattern[] = [];
      for (const p of s.patterns) {
        if (drop.has(p.source)) this.index.remove(conn, p);
        else keep.push(p);
      }
      s.patterns = keep;
      if (keep.length === 0) {
        s.state = 'closed';
        s.pending = [];
        s.pendingBytes = 0;
        conn.subs.splice(i, 1);
      }
    }
    if (conn.topics.length !== before) this.host.observers().topicsChanged(conn);
    if (m.id !== undefined)
      conn.send(JSON.stringify({ op: 'ack', id: m.id, result: { topics: conn.topics } }));
  }

  private async command(conn: WsConnection, m: WsCommandMessage): Promise<void> {
    if (conn.inFlight >= MAX_COMMANDS_IN_FLIGHT) {
      this.nack(conn, m.id, {
        code: 'too-many-commands',
        message: `This connection already has ${MAX_COMMANDS_IN_FLIGHT} commands running; wait for their answers before sending more.`,
        limit: MAX_COMMANDS_IN_FLIGHT,
      });
      return;
    }
    conn.inFlight++;
    try {
      const registry = this.host.commands;
      let principal: Principal;
      try {
        // Authorized first, like POST /commands: a caller learns nothing of names it may not call.
        principal = await (
          this.host.authorizer.authorizeCommand as NonNullable<Authorizer['authorizeCommand']>
        )(conn.request, m.name);
      } catch (e) {
        if (!isHubError(e)) throw e;
        this.nack(conn, m.id, errorBody(e));
        return;
      }
      if (conn.isClosed()) return;
      if (!registry.has(m.name)) {
        const u = registry.unknown(m.name);
        if (!u.ok) this.nack(conn, m.id, u.error);
        return;
      }
      const outcome = await registry.run(
        m.name,
        m.args === undefined ? null : m.args,
        { principal, user: principal.user ?? conn.user, transport: 'websocket', connectionId: conn.id },
        conn.signal,
      );
      if (outcome.ok) conn.send(`{"op":"ack","id":${JSON.stringify(m.id)},"result":${outcome.resultJson}}`);
      else this.nack(conn, m.id, outcome.error);
    } catch (err) {
      this.failed(conn, err, m.id);
    } finally {
      conn.inFlight--;
    }
  }

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
    clearInterval(this.heartbeat);
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
