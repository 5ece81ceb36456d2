import type { CommandError } from './command-error.js';
import type { Connection } from './connection.js';
import type { ClientEnvironment } from './environment.js';
import { httpCommand, UNKNOWN_OUTCOME } from './http-command.js';
import type { ResolvedOptions } from './resolve-options.js';
import type { TabGroup } from './tab-group.js';
import type { HubReply } from './transport.js';

/** What the commands need from their client (the client object itself). */
export interface CommandsHost {
  readonly o: ResolvedOptions;
  readonly env: ClientEnvironment;
  readonly tabs: TabGroup | undefined;
  /** The client's topics, changed in place. */
  readonly topicSet: Set<string>;
  readonly pipeline: { readonly lastEventId: string | null };
  readonly connection: Connection | undefined;
  /** Between connect() and disconnect(). */
  readonly active: boolean;
  readonly transport: 'sse' | 'websocket';
}

interface Waiter {
  readonly body: Record<string, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: unknown;
  sent: boolean;
}

const COMMAND_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * What a client asks of the hub, loaded on first use: commands (over the WebSocket, or
 * `POST /commands/{name}` on SSE) and topic changes at runtime, each answered by an `ack` or
 * `nack` with its id. Each request waits at most its timeout; one sent on a connection that closes
 * before the answer fails with `connection-lost` rather than being sent again, since the hub may
 * have run it. In a follower tab, commands are run by the leader (see tab-group.ts).
 */
export class Commands {
  private seq = 0;
  /** WebSocket requests waiting to be sent or answered; relayed calls waiting for the leader. */
  private readonly waiting = new Map<string, Waiter>();

  constructor(
    private readonly host: CommandsHost,
    // Passed in rather than imported, so this chunk shares no module with the core (a shared
    // chunk costs every page a request and some compression).
    private readonly Err: typeof CommandError,
    private readonly validatePattern: (pattern: string) => { readonly message: string } | undefined,
  ) {}

  // ---- commands -----------------------------------------------------------------------------

  command(name: string, args: unknown, timeoutMs: number | undefined): Promise<unknown> {
    const { o } = this.host;
    const tabs = this.host.tabs;
    if (typeof name !== 'string' || name.length > 128 || !COMMAND_NAME.test(name)) {
      return Promise.reject(
        new TypeError(
          `client.command needs a command name of dot-separated letters, digits, "_" and "-", such as "job.pause", not ${JSON.stringify(name)}.`,
        ),
      );
    }
    const ms = timeoutMs ?? o.commandTimeoutMs;
    if (!(ms > 0))
      return Promise.reject(new TypeError(`The command timeoutMs must be a positive number, not ${ms}.`));
    if (tabs?.joined && !tabs.leader) {
      // The leader holds the connection: it runs the command and posts the answer back.
      const id = `${tabs.tabId}.${++this.seq}`;
      return this.wait(id, { op: 'call', name }, ms, true, () =>
        tabs.post({ t: 'call', id, name, args, timeoutMs: ms }),
      );
    }
    const c = this.host.connection;
    if (this.host.transport === 'sse') return this.http(name, args, ms);
    if (!c || !this.host.active) {
      return Promise.reject(
        new this.Err(
          'not-connected',
          `The client is not connected, so the command "${name}" cannot be sent over WebSocket; call connect() first.`,
        ),
      );
    }
    return this.request({ op: 'command', name, args: args === undefined ? null : args }, ms);
  }

  private http(name: string, args: unknown, timeoutMs: number): Promise<unknown> {
    return httpCommand(this.host.o, this.host.env, this.Err, name, args, timeoutMs);
  }

  /** Sends over the WebSocket now, or once connected, and waits for the `ack`. */
  private request(body: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const id = `m${++this.seq}`;
    const p = this.wait(id, { ...body, id }, timeoutMs, false);
    this.flush();
    return p;
  }

  private wait(
    id: string,
    body: Record<string, unknown>,
    timeoutMs: number,
    sent: boolean,
    send?: () => void,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const what = body.name !== undefined ? `the command "${body.name}"` : `the ${body.op}`;
      const timer = this.host.env.timers.setTimeout(() => {
        if (!this.waiting.delete(id)) return;
        reject(new this.Err('timeout', `No answer to ${what} within ${timeoutMs} ms; ${UNKNOWN_OUTCOME}`));
      }, timeoutMs);
      this.waiting.set(id, { body, resolve, reject, timer, sent });
      send?.();
    });
  }

  /** The hub answered over the WebSocket. */
  reply(m: HubReply): void {
    this.answer(m.id, m.op === 'ack' ? { result: m.result } : { error: m.error });
  }

  /** Settles the request `id` with the hub's answer, or the leader's answer to a relayed call. */
  answer(
    id: string | null,
    r: { result?: unknown; error?: { code: string; message: string; status?: number } | undefined },
  ): void {
    const w = id === null ? undefined : this.waiting.get(id);
    if (!w) return;
    this.settle(id as string, w);
    if (r.error) w.reject(new this.Err(r.error.code, r.error.message, r.error.status));
    else w.resolve(r.result);
  }

  /** The connection's status changed: send what waits, or fail what went out on a closed one. */
  stateChanged(): void {
    if (this.host.connection?.state.status === 'connected') {
      this.flush();
      return;
    }
    this.lost((w) => w.sent && w.body.op !== 'call', 'The connection closed before the hub answered');
  }

  /** As follower: a new tab leads; calls relayed to the previous one will not be answered. */
  leaderChanged(): void {
    this.lost((w) => w.body.op === 'call', 'The tab holding the connection went away before answering');
  }

  private lost(which: (w: Waiter) => boolean, why: string): void {
    for (const [id, w] of this.waiting) {
      if (!which(w)) continue;
      this.settle(id, w);
      w.reject(new this.Err('connection-lost', `${why}; ${UNKNOWN_OUTCOME}`));
    }
  }

  private settle(id: string, w: Waiter): void {
    this.waiting.delete(id);
    this.host.env.timers.clearTimeout(w.timer);
  }

  private flush(): void {
    const c = this.host.connection;
    if (c?.state.status !== 'connected') return;
    for (const [id, w] of this.waiting) {
      if (w.sent) continue;
      if (c.kind === 'sse') {
        // The connection fell back to SSE while this waited.
        this.settle(id, w);
        if (w.body.op === 'command') {
          this.http(w.body.name as string, w.body.args, this.host.o.commandTimeoutMs).then(
            w.resolve,
            w.reject,
          );
        } else {
          w.resolve(undefined);
        }
      } else if (c.send(w.body)) {
        w.sent = true;
      }
    }
  }

  // ---- topics -------------------------------------------------------------------------------

  /**
   * Adds or removes topics: on the open WebSocket as a request the hub acks (a refused subscribe
   * restores the set), on SSE by reconnecting; in a follower tab, through the leader.
   */
  async changeTopics(op: 'subscribe' | 'unsubscribe', input: string | readonly string[]): Promise<void> {
    const { topicSet } = this.host;
    const tabs = this.host.tabs;
    const list = [...new Set(typeof input === 'string' ? [input] : input)];
    for (const t of list) {
      const err =
        typeof t === 'string'
          ? this.validatePattern(t)
          : { message: `The topic ${String(t)} is not a string.` };
      if (err) throw new TypeError(err.message);
    }
    const changed = list.filter((t) => topicSet.has(t) === (op === 'unsubscribe'));
    if (changed.length === 0) return;
    if (op === 'unsubscribe' && changed.length === topicSet.size) {
      throw new TypeError(
        'A client needs at least one topic: subscribe to another first, or call disconnect().',
      );
    }
    if (tabs?.joined && !tabs.leader) {
      tabs.post({ t: 'topics', op, topics: changed });
      return;
    }
    for (const t of changed) {
      if (op === 'subscribe') topicSet.add(t);
      else topicSet.delete(t);
    }
    tabs?.postState();
    const c = this.host.connection;
    if (!c || !this.host.active) return;
    const st = c.state.status;
    if (c.kind === 'sse' || st !== 'connected') {
      // The next connection subscribes to the new set, resuming after the last event.
      if (c.kind === 'sse' && (st === 'connected' || st === 'connecting')) c.reconnect();
      return;
    }
    const lastEventId = this.host.pipeline.lastEventId;
    try {
      await this.request(
        { op, topics: changed, ...(op === 'subscribe' && lastEventId !== null && { lastEventId }) },
        this.host.o.commandTimeoutMs,
      );
    } catch (e) {
      // Refused (a topic the token does not grant): the set is as before.
      if (
        op === 'subscribe' &&
        (e as CommandError).code !== 'connection-lost' &&
        (e as CommandError).code !== 'timeout'
      ) {
        for (const t of changed) topicSet.delete(t);
        tabs?.postState();
      }
      throw e;
    }
  }
}
