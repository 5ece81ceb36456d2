// The WebSocket transport and the command channel. `create-client` loads this module with a
// dynamic import the first time a client needs it, so an SSE-only app never downloads it.

import type { ResolvedOptions } from './client-options.js';
import type { CommandError } from './command-error.js';
import type { Connection } from './connection.js';
import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment, WebSocketConstructor, WebSocketLike } from './environment.js';
import type { TabCoordinator, TabMessage } from './tab-coordinator.js';
import type { HubReply, Transport, TransportFailure } from './transport.js';

/** A thrown error as a phrase (a copy of fetch-transport's, so this chunk shares no module with it). */
function describeNetworkError(e: unknown): string {
  const err = e as { message?: unknown; cause?: { code?: unknown } } | undefined;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const code = err?.cause?.code;
  return typeof code === 'string' ? `${msg} (${code})` : msg;
}

/** `WS_SUBPROTOCOL` of `@tidings/protocol`, inlined to keep the browser bundle small. */
const SUBPROTOCOL = 'tidings.v1';
/** Close codes 4400–4999: the hub refused the connection with HTTP status `code - 4000`. */
const REFUSED_MIN = 4400;

/**
 * The transport over the hub's WebSocket channel. Hub messages become the same frames the SSE
 * transports produce (the event message is the envelope with an extra `op`, so its text is passed
 * on as is); `ack`/`nack` go to `reply`; the transport pings at the hub's heartbeat interval and
 * reports each round trip to `latency`.
 */
export function webSocketTransport(
  WS: WebSocketConstructor,
  env: Pick<ClientEnvironment, 'timers'>,
): Transport {
  const timers = env.timers;
  return (req, h) => {
    let done = false;
    let opened = false;
    let started = false;
    let refusal: { status: number; error: { code?: string; message?: string } } | undefined;
    let pingTimer: unknown;
    const pings = new Map<string, number>();
    let seq = 0;
    let ws: WebSocketLike | undefined;
    const stopPing = () => {
      if (pingTimer !== undefined) timers.clearTimeout(pingTimer);
      pingTimer = undefined;
    };
    const finish = (f: TransportFailure) => {
      if (done) return;
      done = true;
      stopPing();
      try {
        ws?.close();
      } catch {
        // Already closing.
      }
      h.close(f);
    };
    const send = (m: string): boolean => {
      if (done || !started || !ws) return false;
      try {
        ws.send(m);
        return true;
      } catch {
        return false;
      }
    };
    const ping = (every: number) => {
      const id = `p${++seq}`;
      if (pings.size > 8) pings.clear();
      pings.set(id, timers.now());
      send(`{"op":"ping","id":"${id}"}`);
      pingTimer = timers.setTimeout(() => ping(every), every);
    };
    // Callbacks never run inside the transport call itself: the caller stores the handle first.
    timers.setTimeout(() => {
      if (done) return;
      try {
        ws = new WS(req.url, SUBPROTOCOL);
      } catch (e) {
        finish({ kind: 'network', message: describeNetworkError(e) });
        return;
      }
      ws.addEventListener('open', () => {
        opened = true;
      });
      // The close event that follows says what happened (and Node's ws throws unheard errors).
      ws.addEventListener('error', () => {});
      ws.addEventListener('message', (e) => {
        if (done || typeof e.data !== 'string') return;
        h.activity();
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(e.data) as Record<string, unknown>;
        } catch {
          return;
        }
        const op = m.op;
        if (op === 'event') {
          h.frame({ id: m.id as string, event: m.type as string, data: e.data });
        } else if (op === 'connected') {
          started = true;
          h.open();
          h.frame({ id: undefined, event: 'connected', data: e.data });
          const every = m.heartbeatMs;
          if (typeof every === 'number' && every > 0) ping(every);
        } else if (op === 'pong') {
          const at = pings.get(m.id as string);
          if (at !== undefined) {
            pings.delete(m.id as string);
            h.latency?.(Math.max(0, timers.now() - at));
          }
        } else if (op === 'ack' || op === 'nack') {
          h.reply?.(m as unknown as HubReply);
        } else if (op === 'error') {
          refusal = m as unknown as typeof refusal;
        } else if (typeof op === 'string') {
          // reset, token-expired, force-logout: the same frames as over SSE.
          h.frame({ id: undefined, event: op, data: e.data });
        }
      });
      ws.addEventListener('close', (e) => {
        if (done) return;
        const status = refusal?.status ?? (e.code >= REFUSED_MIN && e.code < 5000 ? e.code - 4000 : 0);
        if (status) {
          finish({
            kind: 'http',
            status,
            message: refusal?.error.message ?? e.reason ?? '',
            code: refusal?.error.code,
          });
        } else if (!opened) {
          finish({
            kind: 'refused',
            message: `The WebSocket upgrade to ${req.url.split('?')[0]} failed: the hub is unreachable, does not serve WebSockets there, or a proxy blocks them.`,
          });
        } else if (
          e.code === 1000 ||
          e.code === 1001 ||
          e.code === 4000 ||
          e.code === 4001 ||
          e.code === 4010
        ) {
          finish({ kind: 'ended' });
        } else {
          finish({
            kind: 'network',
            message: `The WebSocket closed with code ${e.code}${e.reason ? ` (${e.reason})` : ''}`,
          });
        }
      });
    }, 0);
    return {
      close() {
        done = true;
        stopPing();
        try {
          ws?.close(1000);
        } catch {
          // Already closing.
        }
      },
      send,
    };
  };
}

/**
 * `transport: 'auto'`: after a failed WebSocket upgrade, try SSE at once; if SSE opens, WebSockets
 * are blocked somewhere on the way (the hub, a proxy): stay on SSE and remember it for a day. If
 * SSE fails too, the hub is simply down: nothing is decided, the next attempt tries WebSocket.
 * @returns true when it started the next attempt itself.
 */
export function autoFallback(c: Connection, f: TransportFailure | undefined): boolean {
  if (f === undefined) {
    if (c.probing) {
      c.probing = false;
      c.log.warn('WebSocket upgrades fail while SSE works: using SSE from now on.');
      try {
        c.env.storage?.setItem?.(c.key, String(c.env.timers.now()));
      } catch {
        // Storage full or blocked: the choice lasts as long as this client.
      }
    }
    return false;
  }
  if (c.probing) {
    c.probing = false;
    c.kind = 'websocket';
    return false;
  }
  if (c.kind !== 'websocket' || f.kind !== 'refused') return false;
  c.log.debug(`${f.message} Trying SSE at once.`);
  c.kind = 'sse';
  c.probing = true;
  void c.attempt('connect');
  return true;
}

/** What the extras need from their client (the client object itself). */
export interface ExtrasHost {
  readonly o: ResolvedOptions;
  readonly env: ClientEnvironment;
  readonly log: DebugLog;
  readonly tabs: TabCoordinator | undefined;
  /** The client's topics, changed in place. */
  readonly topicSet: Set<string>;
  readonly pipeline: { readonly lastEventId: string | null };
  readonly connection: Connection | undefined;
  /** Between connect() and disconnect(). */
  readonly active: boolean;
  readonly transport: 'sse' | 'websocket';
  /** As leader: tells the other tabs the state, topics and latency. */
  postState(): void;
}

interface Waiter {
  readonly body: Record<string, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: unknown;
  sent: boolean;
}

const COMMAND_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const UNKNOWN_OUTCOME = 'it may or may not have run, so check before retrying.';

/**
 * What a client does beyond receiving events, loaded on first use: commands (over the WebSocket,
 * or `POST /commands/{name}` on SSE), topic changes at runtime, and their relay between tabs.
 * Each request waits at most its timeout; one sent on a connection that closes before the answer
 * fails with `connection-lost` rather than being sent again, since the hub may have run it.
 */
export class Extras {
  private seq = 0;
  /** WebSocket requests waiting to be sent or answered. */
  private readonly waiting = new Map<string, Waiter>();

  constructor(
    private readonly host: ExtrasHost,
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

  private answer(
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

  /** `POST /commands/{name}` with the arguments as JSON body. */
  private async http(name: string, args: unknown, timeoutMs: number): Promise<unknown> {
    const { o, env } = this.host;
    const fetchFn = env.fetch;
    if (!fetchFn) {
      throw new this.Err(
        'network',
        'This environment has no fetch, which commands need on the SSE transport; pass environment.fetch.',
      );
    }
    const abort = new AbortController();
    const timer = env.timers.setTimeout(() => abort.abort(), timeoutMs);
    try {
      for (let reason: 'connect' | 'unauthorized' = 'connect'; ; reason = 'unauthorized') {
        const token = typeof o.token === 'function' ? await o.token({ reason }) : o.token;
        const extra = typeof o.headers === 'function' ? await o.headers() : o.headers;
        const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
        if (token) headers.authorization = `Bearer ${token}`;
        const res = await fetchFn(new URL(`commands/${name}`, o.url).href, {
          method: 'POST',
          headers,
          body: JSON.stringify(args === undefined ? null : args),
          credentials: o.credentials,
          signal: abort.signal,
        });
        if (res.status === 401 && reason === 'connect' && typeof o.token === 'function') continue;
        const body = (await res.json().catch(() => undefined)) as
          | { result?: unknown; error?: { code?: string; message?: string } }
          | undefined;
        if (res.ok) return body?.result;
        throw new this.Err(
          body?.error?.code ?? 'internal',
          body?.error?.message ?? `The hub answered ${res.status} to the command "${name}".`,
          res.status,
        );
      }
    } catch (e) {
      if (e instanceof this.Err) throw e;
      if (abort.signal.aborted) {
        throw new this.Err(
          'timeout',
          `No answer to the command "${name}" within ${timeoutMs} ms; ${UNKNOWN_OUTCOME}`,
        );
      }
      throw new this.Err(
        'network',
        `The command "${name}" could not reach the hub: ${describeNetworkError(e)}.`,
      );
    } finally {
      env.timers.clearTimeout(timer);
    }
  }

  // ---- topics -------------------------------------------------------------------------------

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
    this.host.postState();
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
        this.host.postState();
      }
      throw e;
    }
  }

  // ---- tabs ---------------------------------------------------------------------------------

  /** A relayed call, its answer, or a topic change from another tab. */
  tab(m: TabMessage): void {
    const tabs = this.host.tabs;
    if (!tabs) return;
    if (m.t === 'result') {
      if (m.to === tabs.tabId) this.answer(m.id, m);
    } else if (m.t === 'call' && tabs.leader) {
      this.command(m.name, m.args, m.timeoutMs).then(
        (result) => tabs.post({ t: 'result', id: m.id, to: m.from, result }),
        (e: Error & { code?: string; status?: number }) =>
          tabs.post({
            t: 'result',
            id: m.id,
            to: m.from,
            error: { code: e.code ?? 'internal', message: e.message, status: e.status },
          }),
      );
    } else if (m.t === 'topics' && tabs.leader) {
      this.changeTopics(m.op, m.topics).catch((e: Error) =>
        this.host.log.warn(`Another tab's ${m.op} failed: ${e.message}`),
      );
    }
  }
}
