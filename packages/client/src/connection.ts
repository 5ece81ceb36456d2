import type { ConnectedPayload, ForceLogoutPayload } from '@tidings/protocol';
import { backoffDelay } from './backoff.js';
import type { TokenReason } from './client-options.js';
import type { ConnectionHooks } from './connection-hooks.js';
import {
  type ConnectionError,
  type DisconnectReason,
  IDLE_STATE,
  type NetworkState,
} from './connection-state.js';
import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment, TimerHandle } from './environment.js';
import { type FailureDetail, failureVerdict, sentence } from './failure-verdict.js';
import type { ResolvedOptions } from './resolve-options.js';
import { streamRequest } from './stream-request.js';
import type { SseFrame, Transport, TransportFailure, TransportHandle } from './transport.js';
import type { TransportPolicy } from './transport-policy.js';

/** Watchdog timeout until the hub has announced its heartbeat interval. */
const DEFAULT_WATCHDOG_MS = 45_000;
/** The watchdog allows this many missed heartbeats, less one. */
const HEARTBEATS_PER_TIMEOUT = 3;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One logical event stream over successive network connections: resumes with the last id,
 * backs off with full jitter, refreshes the token once on 401 and on `token-expired`, replaces a
 * silent connection (watchdog), and stops for good where retrying cannot help. It knows nothing
 * of listeners, tabs or pages: its owner feeds it `connect`/`disconnect`/`nudge` and receives
 * frames and state.
 */
export class Connection {
  private s: NetworkState;
  /** Bumped whenever the current stream is abandoned; callbacks of older streams are ignored. */
  private gen = 0;
  private handle: TransportHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private watchdogTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private lastActivity = 0;
  private failures = 0;
  /** When the first of the current run of failures happened: the backoff cap grows with the outage. */
  private outageStartedAt = 0;
  private serverRetryMs: number | undefined;
  private heartbeatMs: number | undefined;
  private refreshedAfter401 = false;
  /** Set when `maxAttempts` stopped the client: coming back online may then retry. */
  private gaveUp = false;

  constructor(
    private readonly o: ResolvedOptions,
    private readonly env: ClientEnvironment,
    private readonly sse: Transport,
    private readonly webSocket: Transport,
    /** Which of the two the next attempt uses. */
    private readonly policy: TransportPolicy,
    lastConnectedAt: number | null,
    private readonly hooks: ConnectionHooks,
    private readonly log: DebugLog,
  ) {
    this.s = { ...IDLE_STATE, lastConnectedAt };
  }

  /** The transport of the current (or next) attempt. */
  get kind(): 'sse' | 'websocket' {
    return this.policy.kind;
  }

  /** Sends a message over the open WebSocket; false when there is none. */
  send(message: object): boolean {
    return this.s.status === 'connected' && this.handle?.send?.(JSON.stringify(message)) === true;
  }

  get state(): NetworkState {
    return this.s;
  }

  /** Starts connecting unless a connection is open or being made. */
  connect(): void {
    const st = this.s.status;
    if (st === 'connecting' || st === 'connected' || st === 'reconnecting') return;
    this.start();
  }

  /** Drops the current connection, if any, and connects again at once. */
  reconnect(): void {
    this.abandon();
    this.start();
  }

  /** Closes the connection and stays closed until {@link Connection.connect}. */
  disconnect(reason: DisconnectReason = 'client', logoutReason: string | null = null): void {
    this.abandon();
    if (this.s.status === 'disconnected' && this.s.reason === reason) return;
    this.log.debug(`disconnected (${reason})`);
    this.update({ status: 'disconnected', nextRetryAt: null, connectionId: null, reason, logoutReason });
  }

  /**
   * Something suggests the hub is reachable again (the host came online, the page became
   * visible): retry now instead of waiting out the backoff.
   */
  nudge(why: string): void {
    if (this.s.status === 'reconnecting' && this.retryTimer !== undefined) {
      this.log.debug(`${why}: retrying now instead of waiting`);
      this.clearTimer('retryTimer');
      void this.attempt('connect');
    } else if (this.s.status === 'error' && this.gaveUp) {
      this.log.debug(`${why}: trying again after giving up`);
      this.start();
    }
  }

  /** Tells an EventSource transport to listen for one more event type. */
  listen(type: string): void {
    this.handle?.listen?.(type);
  }

  // ---- attempts -------------------------------------------------------------------------------

  private start(): void {
    this.abandon();
    this.failures = 0;
    this.refreshedAfter401 = false;
    this.gaveUp = false;
    this.update({ status: 'connecting', attempt: 0, nextRetryAt: null, reason: null, logoutReason: null });
    void this.attempt('connect');
  }

  /** One attempt now. */
  private async attempt(reason: TokenReason): Promise<void> {
    this.abandon();
    const gen = this.gen;
    let token: string | null | undefined;
    let extra: Readonly<Record<string, string>> | undefined;
    try {
      token = typeof this.o.token === 'function' ? await this.o.token({ reason }) : this.o.token;
      extra = typeof this.o.headers === 'function' ? await this.o.headers() : this.o.headers;
    } catch (e) {
      if (gen === this.gen) {
        this.retryLater(`The token or headers function failed: ${sentence(errorText(e))}`);
      }
      return;
    }
    if (gen !== this.gen) return;
    if (token !== undefined && token !== null && typeof token !== 'string') {
      this.fail(`The token function returned ${typeof token}; it must return a string, null or undefined.`);
      return;
    }
    const ws = this.policy.kind === 'websocket';
    const lastEventId = this.hooks.lastEventId();
    const hooks = this.hooks;
    const request = streamRequest(this.o, ws, token, extra, hooks.topics(), lastEventId, hooks.eventTypes());
    this.log.debug(
      `connecting to ${this.o.url.origin}${lastEventId === null ? '' : ` after ${lastEventId}`}`,
    );
    this.lastActivity = this.env.timers.now();
    this.scheduleWatchdog(gen, this.watchdogMs());
    this.handle = (ws ? this.webSocket : this.sse)(request, {
      open: () => gen === this.gen && this.opened(gen, lastEventId !== null),
      frame: (f) => gen === this.gen && this.onFrame(gen, f),
      retry: (ms) => {
        if (gen === this.gen) this.serverRetryMs = ms;
      },
      activity: () => {
        if (gen === this.gen) this.lastActivity = this.env.timers.now();
      },
      close: (f) => {
        if (gen !== this.gen) return;
        this.handle = undefined;
        this.onFailure(f);
      },
      reply: (m) => gen === this.gen && this.hooks.reply(m),
      latency: (ms) => gen === this.gen && this.hooks.latency(ms),
    });
  }

  private opened(gen: number, resumed: boolean): void {
    this.refreshedAfter401 = false;
    this.policy.settle?.(undefined);
    // Without an id to resume from, whatever was published since the last connection is lost to
    // this client: say so, as the hub does when it cannot replay.
    const gap = !resumed && this.s.lastConnectedAt !== null;
    this.update({ status: 'connected', lastConnectedAt: this.env.timers.now(), nextRetryAt: null });
    this.log.debug('connected');
    if (gap) {
      this.log.debug('reconnected without a resume point: reset');
      this.hooks.frame({
        id: undefined,
        event: 'reset',
        data: JSON.stringify({ reason: 'no-resume-point', lastEventId: null }),
      });
    }
    this.stableTimer = this.env.timers.setTimeout(() => {
      this.stableTimer = undefined;
      if (gen !== this.gen) return;
      this.failures = 0;
      if (this.s.attempt !== 0) this.update({ attempt: 0 });
    }, this.o.backoff.resetAfterMs);
  }

  private onFrame(gen: number, f: SseFrame): void {
    switch (f.event) {
      case 'connected': {
        // The hub sends this greeting with the headers (lastConnectedAt): much later means a
        // buffering proxy held it back. With the debug option, warnIfBuffered (exported as `w`
        // from a lazy chunk the core already names) says so: the 12 KiB core has no room left.
        if (this.o.debug)
          void import('./event-source-transport.js').then((m) => m.w(this.log, this.env, this.s));
        const c = parseJson<ConnectedPayload>(f.data);
        if (typeof c?.heartbeatMs === 'number' && c.heartbeatMs > 0) {
          this.heartbeatMs = c.heartbeatMs;
          // The timeout may have shrunk from the pre-announcement default: re-arm.
          this.clearTimer('watchdogTimer');
          this.scheduleWatchdog(gen, this.watchdogMs());
        }
        if (typeof c?.connectionId === 'string') this.update({ connectionId: c.connectionId });
        if (typeof c?.lastEventId === 'string' && c.lastEventId !== '') this.hooks.resumePoint(c.lastEventId);
        return;
      }
      case 'heartbeat':
        return;
      case 'token-expired':
        // The hub closes the stream next; reconnect at once with a fresh token, resuming.
        this.log.debug('token expired: fetching a fresh token and reconnecting');
        this.abandon();
        this.update({ status: 'reconnecting', nextRetryAt: null, connectionId: null });
        void this.attempt('expired');
        return;
      case 'force-logout': {
        const reason = parseJson<ForceLogoutPayload>(f.data)?.reason;
        this.disconnect('force-logout', typeof reason === 'string' ? reason : 'The hub ended this session.');
        this.hooks.frame(f);
        return;
      }
      default:
        this.hooks.frame(f);
    }
  }

  private onFailure(f: TransportFailure): void {
    this.abandon();
    if (this.policy.settle?.(f)) {
      void this.attempt('connect');
      return;
    }
    const [next, message, detail, minDelayMs] = failureVerdict(
      f,
      this.o.url.origin,
      typeof this.o.token === 'function',
      this.refreshedAfter401,
    );
    if (next === 'no-content') {
      this.log.debug('the hub answered 204: stopping');
      this.update({ status: 'disconnected', nextRetryAt: null, connectionId: null, reason: 'no-content' });
    } else if (next === 'refresh') {
      this.refreshedAfter401 = true;
      this.log.debug('401: fetching a fresh token and retrying once');
      this.update({ status: 'reconnecting', lastError: this.error(message, detail) });
      void this.attempt('unauthorized');
    } else if (next === 'stop') {
      this.fail(message, detail);
    } else {
      this.retryLater(message, minDelayMs, detail);
    }
  }

  // ---- outcomes -------------------------------------------------------------------------------

  private retryLater(message: string, minDelayMs = 0, detail?: FailureDetail): void {
    this.failures++;
    const attempt = this.failures;
    const now = this.env.timers.now();
    if (attempt === 1) this.outageStartedAt = now;
    const max = this.o.backoff.maxAttempts;
    if (attempt > max) {
      this.gaveUp = true;
      this.fail(
        `Stopped after ${attempt} failed attempt${attempt === 1 ? '' : 's'} in a row (backoff.maxAttempts is ${max}). ${message} Call connect() to try again.`,
        detail,
      );
      return;
    }
    const delay = Math.max(
      minDelayMs,
      backoffDelay(attempt, this.o.backoff, this.serverRetryMs, this.env.random, now - this.outageStartedAt),
    );
    this.log.debug(`${message} Retry ${attempt} in ${delay} ms.`);
    this.update({
      status: 'reconnecting',
      attempt,
      // The same clock reading as nextRetryAt, so that the wait it shows is the one scheduled.
      lastError: this.error(message, detail, now),
      nextRetryAt: now + delay,
      connectionId: null,
    });
    this.retryTimer = this.env.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt('connect');
    }, delay);
  }

  private fail(message: string, detail?: FailureDetail): void {
    this.abandon();
    this.log.warn(message);
    this.update({
      status: 'error',
      nextRetryAt: null,
      connectionId: null,
      lastError: this.error(message, detail),
    });
  }

  private error(message: string, detail: FailureDetail = {}, at = this.env.timers.now()): ConnectionError {
    return {
      message,
      at,
      attempt: this.failures,
      ...(detail.status !== undefined && { status: detail.status }),
      ...(detail.code !== undefined && { code: detail.code }),
    };
  }

  // ---- watchdog and timers --------------------------------------------------------------------

  private watchdogMs(): number {
    return (
      this.o.heartbeatTimeoutMs ??
      (this.heartbeatMs === undefined ? DEFAULT_WATCHDOG_MS : this.heartbeatMs * HEARTBEATS_PER_TIMEOUT)
    );
  }

  /**
   * One timer per timeout period rather than one per chunk: when it fires it compares the time
   * of the last activity and sleeps again for the remainder.
   */
  private scheduleWatchdog(gen: number, ms: number): void {
    this.watchdogTimer = this.env.timers.setTimeout(() => {
      this.watchdogTimer = undefined;
      if (gen !== this.gen) return;
      const limit = this.watchdogMs();
      const idle = this.env.timers.now() - this.lastActivity;
      if (idle < limit) {
        this.scheduleWatchdog(gen, limit - idle);
        return;
      }
      const connected = this.s.status === 'connected';
      this.abandon();
      this.retryLater(
        connected
          ? `No data from the hub for ${limit} ms: heartbeats stopped, so the connection is presumed dead and is being replaced.`
          : `The hub did not answer within ${limit} ms.`,
      );
    }, ms);
  }

  private clearTimer(key: 'retryTimer' | 'watchdogTimer' | 'stableTimer'): void {
    const t = this[key];
    if (t !== undefined) {
      this.env.timers.clearTimeout(t);
      this[key] = undefined;
    }
  }

  /** Abandons the current stream and every timer: nothing of it may call back afterwards. */
  private abandon(): void {
    this.gen++;
    const h = this.handle;
    this.handle = undefined;
    h?.close();
    this.clearTimer('retryTimer');
    this.clearTimer('watchdogTimer');
    this.clearTimer('stableTimer');
  }

  private update(patch: Partial<NetworkState>): void {
    this.s = { ...this.s, ...patch };
    this.hooks.state(this.s);
  }
}

function parseJson<T>(s: string): Partial<T> | undefined {
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'object' && v !== null ? (v as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}
