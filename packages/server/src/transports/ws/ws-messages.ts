import {
  compilePattern,
  parseClientMessage,
  type TopicPattern,
  type WsCommandMessage,
  type WsErrorBody,
  type WsSubscribeMessage,
  type WsUnsubscribeMessage,
} from '@tidings/protocol';
import { HubError, isHubError } from '../../core/errors.js';
import type { PluginHost } from '../../core/hub-plugin.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import { REPLAY_COST } from '../../limits/memory-admission.js';
import { type Rate, TokenBuckets } from '../../limits/token-bucket.js';
import { admitCall } from '../../plugins/commands/command-call.js';
import type { CommandRegistry } from '../../plugins/commands/command-registry.js';
import type { WsConnection } from './ws-connection.js';
import { Subscription } from './ws-subscription.js';

/** Most commands one connection may have running at once; more get `nack` `too-many-commands`. */
export const MAX_COMMANDS_IN_FLIGHT = 32;

export function errorBody(e: HubError): WsErrorBody {
  return { ...e.detail, code: e.code, message: e.message };
}

/** The refusal of a `$` topic over WebSocket. */
export function sysRefusal(topic: string): HubError {
  return new HubError(
    400,
    'invalid-pattern',
    `The topic "${topic}" is one of the hub's own $ topics, which are served over /events with the admin token only.`,
    { topic },
  );
}

/** Where runtime subscriptions replay: the channel's catch-up. */
export interface WsSubscriptions {
  startCatchUp(conn: WsConnection, sub: Subscription, from: { lastEventId: string } | { pos: string }): void;
}

/**
 * The client's messages on an open WebSocket: `ping`, `command`, `subscribe` and `unsubscribe`,
 * each answered with `pong`, `ack` or `nack`; bounded in size and rate per connection.
 */
export class WsMessages {
  /** Largest message handled; larger ones (up to the hard limit) get `nack` `message-too-large`. */
  private readonly maxMessageBytes: number;
  /** Messages per connection id. */
  private readonly rate: TokenBuckets | undefined;

  constructor(
    private readonly host: PluginHost,
    private readonly channel: WsSubscriptions,
    private readonly commands: CommandRegistry,
  ) {
    const o = host.options;
    this.maxMessageBytes = o.maxCommandBytes;
    // Validates the rate (a RangeError at createHub for an unusable one).
    this.rate = o.webSocketMessageRate ? new TokenBuckets(o.webSocketMessageRate) : undefined;
  }

  /**
   * The last-resort guard around every message: a throw from inside `ws`'s 'message' event would
   * be an uncaught exception and end the process. Whatever escapes the handler is logged once,
   * counted (`tidings_errors_total{where="websocket"}`) and answered with `nack internal`; the
   * connection and the hub go on.
   */
  guardedMessage(conn: WsConnection, data: Buffer, isBinary: boolean): void {
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

  nack(conn: WsConnection, id: string | null | undefined, error: WsErrorBody): void {
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
      this.nack(conn, m.id, errorBody(sysRefusal(sys)));
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
        canRead = (await this.host.access.authorizer.authorizeSubscribe(conn.request, fresh)).canRead;
      } catch (e) {
        if (!isHubError(e)) throw e;
        this.nack(conn, m.id, errorBody(e));
        return;
      }
      if (conn.isClosed()) return;
      const patterns = fresh.map((t) => compilePattern(t));
      const sub = new Subscription(conn, patterns, canRead);
      conn.subs.push(sub);
      for (const p of patterns) this.host.subscribers.subscribe(conn, p);
      this.channel.startCatchUp(
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
        if (drop.has(p.source)) this.host.subscribers.unsubscribe(conn, p);
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
      const registry = this.commands;
      let call: Awaited<ReturnType<typeof admitCall>>;
      try {
        // Authorized first, like POST /commands: a caller learns nothing of names it may not call.
        call = await admitCall(registry, this.host.access.authorizer, conn.request, m.name);
      } catch (e) {
        if (!isHubError(e)) throw e;
        this.nack(conn, m.id, errorBody(e));
        return;
      }
      if (conn.isClosed()) return;
      if (!call.ok) {
        this.nack(conn, m.id, call.error);
        return;
      }
      const principal = call.principal;
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
}
