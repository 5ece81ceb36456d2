import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { comparePositions, type TopicPattern, WS_CLOSE } from '@tidings/protocol';
import type { WebSocket } from 'ws';
import type { Principal } from '../../auth/authorizer.js';
import type { ReplayLimits } from '../../core/catch-up.js';
import type { MayReceive } from '../../core/delivery-rule.js';
import type { Logger } from '../../core/logger.js';
import type { CloseReason, ConnectionInfo } from '../../core/observer.js';
import type { Drainable, SlowConsumerRule } from '../../core/slow-consumer-rule.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Subscriber } from '../../core/subscriber.js';
import type { HubRequest } from '../../http/hub-request.js';
import { socketSentBytes } from '../../http/socket-progress.js';
import type { Subscription, SubscriptionOwner } from './ws-subscription.js';

/** What a WebSocket connection needs from its channel. */
export interface WsConnectionHost {
  /** The hub's slow-consumer rule, shared by every transport. */
  readonly slowConsumers: SlowConsumerRule;
  /** How replays hold live events and pace themselves. */
  readonly replayLimits: ReplayLimits;
  /** The hub's delivery rule (see `deliveryRule`). */
  readonly mayReceive: MayReceive;
  /** The registry's dialect of WebSocket `event` messages. */
  readonly dialect: number;
  readonly log: Logger;
  /** Called once when the socket has closed, for whatever reason. */
  connectionClosed(conn: WsConnection, reason: CloseReason): void;
}

const TEXT = { binary: false } as const;

/** The TCP socket under a `ws` connection (ws keeps it as `_socket`). */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

/**
 * One WebSocket subscriber: the same event model as an SSE stream (ids, replay, grants, targeted
 * delivery, the bounded outbound buffer), plus subscriptions that change while it is open.
 */
export class WsConnection implements Subscriber, ConnectionInfo, Drainable, SubscriptionOwner {
  mark = 0;
  readonly transport = 'websocket' as const;
  readonly dialect: number;
  /** A WebSocket client always holds an id to resume from (the `connected` message gives one). */
  readonly resumable = true;
  readonly subs: Subscription[] = [];
  eventsSent = 0;
  bytesSent = 0;
  readonly openedAt = Date.now();
  /** Whether the peer answered (or sent anything) since the last ping. */
  alive = true;
  /** Commands of this connection still running. */
  inFlight = 0;
  /** Subscribe and unsubscribe messages run one after the other. */
  control: Promise<void> = Promise.resolve();
  /** Bytes of live events held by this connection's replaying subscriptions. */
  held = 0;
  /** Catch-ups run one after the other, so at most one subscription replays at a time. */
  replays: Promise<void> = Promise.resolve();
  private closeReason: CloseReason | undefined;
  private closedFlag = false;
  private readonly abort = new AbortController();

  constructor(
    readonly id: string,
    readonly host: WsConnectionHost,
    readonly ws: WebSocket,
    readonly principal: Principal,
    /** The upgrade request: runtime subscriptions and commands are authorized with it. */
    readonly request: HubRequest,
    private readonly socketDrain: () => Promise<void>,
  ) {
    this.dialect = host.dialect;
    ws.on('close', () => this.closed(this.closeReason ?? 'client'));
    // Every running command listens to it. (Not Node's AbortSignal under jsdom: then no warning either.)
    try {
      setMaxListeners(64, this.abort.signal);
    } catch {
      // Not an EventTarget Node knows.
    }
  }

  get user(): string | undefined {
    return this.principal.user;
  }

  get remoteAddress(): string {
    return this.request.remoteAddress;
  }

  get topics(): string[] {
    const out: string[] = [];
    for (const s of this.subs) for (const p of s.patterns) out.push(p.source);
    return out;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get sentBytes(): number {
    return socketSentBytes(socketOf(this.ws)) ?? this.bytesSent - this.ws.bufferedAmount;
  }

  /** Aborts when the connection closes (running commands are told through their context). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  isClosed(): boolean {
    return this.closedFlag || this.closeReason !== undefined;
  }

  /** Whether the hub's delivery rule lets this connection's principal receive `ev`. */
  addressedTo(ev: StoredEvent): boolean {
    return this.host.mayReceive(this.principal, ev);
  }

  /** Whether a live subscription other than `except` delivered `ev` when it was dispatched. */
  deliveredLive(ev: StoredEvent, except: Subscription): boolean {
    for (const s of this.subs) {
      if (s === except || s.state !== 'live' || s.liveAfter === undefined) continue;
      if (comparePositions(ev.pos, s.liveAfter) > 0 && s.matches(ev.topic) && s.accepts(ev)) return true;
    }
    return false;
  }

  /**
   * Live delivery from the dispatcher, with the message shared by every WebSocket subscriber.
   * Written once if a live subscription takes it; otherwise held by the replaying subscriptions
   * that match. Returns whether it was written.
   */
  deliver(ev: StoredEvent, message: Buffer): boolean {
    if (this.isClosed()) return false;
    let held = false;
    for (const s of this.subs) {
      if (!s.matches(ev.topic)) continue;
      if (s.state === 'live') {
        if (s.replayedThrough !== undefined) {
          // A broker behind shared history: its replay already sent this one.
          if (comparePositions(ev.pos, s.replayedThrough) <= 0) continue;
          s.replayedThrough = undefined;
        }
        if (!s.accepts(ev)) continue;
        this.sendEvent(message);
        return true;
      }
      held = true;
    }
    if (held) for (const s of this.subs) if (s.state === 'replaying' && s.matches(ev.topic)) s.hold(ev);
    return false;
  }

  sendEvent(message: Buffer): void {
    this.send(message);
    this.eventsSent++;
  }

  /** Pings the peer; one that did not answer since the last ping is dropped. */
  heartbeat(): void {
    if (this.isClosed()) return;
    if (!this.alive) {
      this.host.log.debug({ conn: this.id }, 'websocket peer did not answer the ping; closing');
      this.close('heartbeat-timeout');
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  notify(reason: CloseReason, notice: Record<string, unknown>): void {
    this.send(JSON.stringify({ ...notice, op: reason }));
  }

  indexedPatterns(): readonly TopicPattern[] {
    const out: TopicPattern[] = [];
    for (const s of this.subs) for (const p of s.patterns) out.push(p);
    return out;
  }

  /** Sends one message and applies the slow-consumer rule to the queue it leaves. */
  send(message: string | Buffer): void {
    if (this.isClosed()) return;
    this.ws.send(message, TEXT);
    this.bytesSent += typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
    const queued = this.ws.bufferedAmount;
    const rule = this.host.slowConsumers;
    if (queued > rule.limit) rule.overLimit(this, queued);
  }

  /** Sends an event of a replay, which paces itself: the slow-consumer rule does not judge it. */
  sendReplayed(message: Buffer): void {
    if (this.isClosed()) return;
    this.ws.send(message, TEXT);
    this.bytesSent += message.byteLength;
    this.eventsSent++;
  }

  /** Resolves when the socket drained (or closed). */
  waitDrain(): Promise<void> {
    if (this.isClosed()) return Promise.resolve();
    return this.socketDrain();
  }

  /**
   * Closes the connection. Notices (`token-expired`, `force-logout`) go out before the close frame;
   * a slow consumer, a silent peer or an error drop the socket at once.
   */
  close(reason: CloseReason, message?: string): void {
    if (this.isClosed()) return;
    this.closeReason = reason;
    this.abort.abort();
    switch (reason) {
      case 'shutdown':
        this.ws.close(WS_CLOSE.goingAway, message ?? 'The hub is shutting down; reconnect.');
        // A peer that does not answer the close frame must not hold the shutdown for ws's 30 s.
        setTimeout(() => this.ws.terminate(), 1000).unref();
        return;
      case 'token-expired':
        this.ws.close(WS_CLOSE.tokenExpired, message ?? 'The token expired; reconnect with a fresh one.');
        return;
      case 'force-logout':
        this.ws.close(WS_CLOSE.forceLogout, message ?? 'The session was ended by the server.');
        return;
      case 'disconnected':
        this.ws.close(WS_CLOSE.disconnected, message ?? 'The hub closed this connection.');
        return;
      case 'resync':
        this.ws.close(WS_CLOSE.resync, message ?? 'This node may have missed events; reconnect to resume.');
        return;
      case 'protocol-error':
        this.ws.close(WS_CLOSE.unsupportedData, message ?? 'Send JSON messages as text frames.');
        return;
      default:
        this.ws.terminate();
    }
  }

  private closed(reason: CloseReason): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeReason ??= reason;
    this.abort.abort();
    for (const s of this.subs) {
      s.state = 'closed';
      s.pending = [];
      s.pendingBytes = 0;
    }
    this.host.connectionClosed(this, reason);
  }
}
