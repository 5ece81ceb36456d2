import type { Authorizer } from '../auth/authorizer.js';
import type { AuthOptions } from '../auth/jwt-authorizer.js';
import type { Broker } from '../engines/broker.js';
import type { Engine } from '../engines/engine.js';
import type { HistoryStore } from '../engines/history-store.js';
import type { CorsOptions } from '../http/cors.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../http/parse-json-body.js';
import type { LimitCounters } from '../limits/limit-counters.js';
import type { LimitOptions } from '../limits/limits.js';
import { defaultMemoryBudget } from '../limits/memory-accountant.js';
import type { Rate } from '../limits/token-bucket.js';
import type { MercureOptions } from '../mercure/mercure-options.js';
import type { Logger } from './logger.js';
import type { HubObserver } from './observer.js';

/**
 * Options of `createHub`. Every option has a default fit for production on one node; the
 * numbers are per hub process.
 */
export interface HubOptions {
  /**
   * Store and broker in one. Takes precedence over `store` and `broker`.
   * @defaultValue `localEngine(store, broker)`
   */
  engine?: Engine | undefined;
  /**
   * Where history lives.
   * @defaultValue `sqliteStore({ path: '.tidings/history.db' })`, the embedded default
   * @see SqliteStore, MemoryStore
   */
  store?: HistoryStore | undefined;
  /**
   * How stored events reach subscribers on every node.
   * @defaultValue the in-process `MemoryBroker`
   */
  broker?: Broker | undefined;
  /**
   * Who may subscribe and publish, when you bring your own logic. Excludes `auth`.
   * @defaultValue `allowAll` (anonymous, unrestricted) unless `auth` is given
   */
  authorizer?: Authorizer | undefined;
  /**
   * JWT authentication and topic grants, the publisher key, forced logout.
   * @defaultValue none: anonymous and unrestricted (development, trusted networks)
   * @see AuthOptions, and docs/security.md for the threat model
   */
  auth?: AuthOptions | undefined;
  /**
   * Abuse limits: connections per user and per address, pattern complexity, publish rate, failed
   * authentications. `false` turns them all off.
   * @defaultValue the defaults of {@link LimitOptions} when `auth` is given, else off
   */
  limits?: LimitOptions | false | undefined;
  /**
   * Where the counts behind `limits` live. The workers of one hub split over several processes
   * pass {@link ipcLimitCounters} so that every limit holds for the hub as a whole; the hub
   * closes them when it closes.
   * @defaultValue counts in this process ({@link LocalLimitCounters})
   */
  limitCounters?: LimitCounters | undefined;
  /**
   * Browser origins allowed to call the hub across origins (CORS), and whether they may send
   * cookies. Cookie-authenticated requests from other sites are refused.
   * @defaultValue none: same-origin only
   */
  cors?: CorsOptions | undefined;
  /**
   * Interval of `event: heartbeat` on every stream; also announced to clients, whose watchdog
   * derives from it. One shared timer serves all connections.
   * @defaultValue 15000
   */
  heartbeatMs?: number | undefined;
  /** The `retry:` reconnection delay sent to clients, in ms. @defaultValue 3000 */
  retryMs?: number | undefined;
  /** Largest event payload (`data` as JSON), in bytes; larger publishes get 413. @defaultValue 65536 */
  maxPayloadBytes?: number | undefined;
  /** Largest publish request body, in bytes; larger requests get 413. @defaultValue 1048576 */
  maxBodyBytes?: number | undefined;
  /** Most events in one batch publish; more get 413. @defaultValue 1000 */
  maxBatchSize?: number | undefined;
  /**
   * Deepest nesting of arrays and objects in any JSON request body (`POST /publish`, commands,
   * `/disconnect`, `/admin/disconnect`), the body's own brackets included: `{"data":[[1]]}` is 3
   * deep. Deeper bodies get `400 invalid-json` from a linear scan before they are parsed, so a
   * small body of `[[[[…` cannot cost the hub a stack overflow.
   * @defaultValue 64
   * @see docs/security.md, "Request bodies"
   */
  maxJsonDepth?: number | undefined;
  /**
   * Bytes a connection may keep queued but unsent. A burst may pass it: while its queue is above
   * it the reader must keep reading (see `slowConsumerGraceMs`), and a queue still past 4 × this
   * 20 ms after a write cuts the connection at once. A connection dropped as a slow consumer
   * comes back with `Last-Event-ID` and loses nothing. Replays are paced by the socket and
   * never count against it.
   * @defaultValue 1048576
   * @see docs/security.md, "Slow consumers"
   */
  maxBufferBytes?: number | undefined;
  /**
   * How long a connection whose queue is above `maxBufferBytes` may go without its reader taking
   * a byte before it is dropped as a slow consumer. One hub-wide sweep checks every
   * `slowConsumerGraceMs / 4` (at most every second), only while some queue is above the limit.
   * @defaultValue 5000
   * @see docs/security.md, "Slow consumers"
   */
  slowConsumerGraceMs?: number | undefined;
  /** Most topics and patterns in one subscription; more get 400. @defaultValue 64 */
  maxTopicsPerSubscription?: number | undefined;
  /**
   * The memory budget of the hub process, in bytes. Before the hub takes on new work (opening a
   * stream or a WebSocket, resuming from history, reading a request body) it checks its memory
   * against this budget; past it the request gets `503 unavailable` with `Retry-After`, while
   * open streams keep being served and nothing acknowledged is dropped. The figure compared is
   * the process's resident set, less the V8 heap's unused space, plus what the hub reserved since
   * it last looked (request bodies, replay pages). At least 32 MiB.
   * @defaultValue three quarters of V8's heap limit or half the memory available to the process
   * (its cgroup limit, else the machine's), whichever is smaller: 3 GiB on a 64-bit machine
   * with 16 GiB or more, at most 512 MiB in a container limited to 1 GiB
   * @see MemoryAccountant, and "Memory budget" in docs/security.md for what is counted and the margin
   */
  maxMemoryBytes?: number | undefined;
  /**
   * Live events held per connection while it replays history. Past this the buffer is dropped and
   * the replay simply reads further, since every live event is already in history.
   * @defaultValue 10000
   */
  maxReplayBuffer?: number | undefined;
  /**
   * Bytes of live events held per connection while it replays history (payload and names; a
   * WebSocket connection's subscriptions share it). Past this the held events are dropped and
   * the replay reads further, as with `maxReplayBuffer`.
   * @defaultValue 1048576
   */
  maxReplayBufferBytes?: number | undefined;
  /** Events read from the store per replay page. @defaultValue 500 */
  replayPageSize?: number | undefined;
  /**
   * How long a command handler (`hub.onCommand`) may run before the caller gets `timeout`; each
   * command may set its own.
   * @defaultValue 10000
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Largest WebSocket message and `POST /commands/{name}` body, in bytes. A larger WebSocket
   * message gets `nack` `message-too-large` (past `maxBodyBytes` the socket is closed with 1009);
   * a larger body gets 413.
   * @defaultValue 65536
   */
  maxCommandBytes?: number | undefined;
  /**
   * Messages one WebSocket connection may send per second (token bucket); past it each message
   * gets `nack` `rate-limited` instead of being handled. `false` turns it off.
   * @defaultValue `{ perSecond: 100, burst: 200 }`
   */
  webSocketMessageRate?: Rate | false | undefined;
  /** Path prefix the hub is mounted under, e.g. `"/realtime"`. @defaultValue "" */
  basePath?: string | undefined;
  /** Receives structured logs. @defaultValue silent */
  logger?: Logger | undefined;
  /** Hooks for metrics and admin views. @defaultValue none */
  observers?: readonly HubObserver[] | undefined;
  /** This node's name in connection ids, logs and `/healthz`. @defaultValue random */
  nodeId?: string | undefined;
  /**
   * Speak the Mercure protocol on `/.well-known/mercure` too: Mercure publishers and subscribers
   * (Symfony, API Platform, Laravel, a native `EventSource`) use the hub's history, limits and
   * engine. `{}` enables it with anonymous subscribers off and no publisher key.
   * @defaultValue off
   * @see MercureOptions, and docs/migrating-from-mercure.md
   */
  mercure?: MercureOptions | undefined;
}

/** {@link HubOptions} with every default filled in. */
export interface ResolvedHubOptions {
  heartbeatMs: number;
  retryMs: number;
  maxPayloadBytes: number;
  maxBodyBytes: number;
  maxBatchSize: number;
  maxJsonDepth: number;
  maxBufferBytes: number;
  slowConsumerGraceMs: number;
  maxTopicsPerSubscription: number;
  maxMemoryBytes: number;
  maxReplayBuffer: number;
  maxReplayBufferBytes: number;
  replayPageSize: number;
  commandTimeoutMs: number;
  maxCommandBytes: number;
  webSocketMessageRate: Rate | undefined;
  basePath: string;
  nodeId: string;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  // Safe integers only: 1e21 is an integer too, but it prints (in an SSE retry: field, a log)
  // in exponent form.
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new RangeError(`Hub option ${name} must be a positive integer, not ${v}.`);
  }
  return v;
}

/**
 * Fills in defaults and checks ranges.
 * @throws {RangeError} naming the option when a value is out of range.
 */
export function resolveOptions(o: HubOptions): ResolvedHubOptions {
  const basePath = (o.basePath ?? '').replace(/\/+$/, '');
  if (basePath && !basePath.startsWith('/')) {
    throw new RangeError(`Hub option basePath must start with "/", as in "/realtime"; got "${basePath}".`);
  }
  return {
    heartbeatMs: positiveInt('heartbeatMs', o.heartbeatMs, 15_000),
    retryMs: positiveInt('retryMs', o.retryMs, 3_000),
    maxPayloadBytes: positiveInt('maxPayloadBytes', o.maxPayloadBytes, 64 * 1024),
    maxBodyBytes: positiveInt('maxBodyBytes', o.maxBodyBytes, 1024 * 1024),
    maxBatchSize: positiveInt('maxBatchSize', o.maxBatchSize, 1000),
    maxJsonDepth: positiveInt('maxJsonDepth', o.maxJsonDepth, DEFAULT_MAX_JSON_DEPTH),
    maxBufferBytes: positiveInt('maxBufferBytes', o.maxBufferBytes, 1024 * 1024),
    slowConsumerGraceMs: positiveInt('slowConsumerGraceMs', o.slowConsumerGraceMs, 5_000),
    maxTopicsPerSubscription: positiveInt('maxTopicsPerSubscription', o.maxTopicsPerSubscription, 64),
    maxMemoryBytes: positiveInt('maxMemoryBytes', o.maxMemoryBytes, defaultMemoryBudget()),
    maxReplayBuffer: positiveInt('maxReplayBuffer', o.maxReplayBuffer, 10_000),
    maxReplayBufferBytes: positiveInt('maxReplayBufferBytes', o.maxReplayBufferBytes, 1024 * 1024),
    replayPageSize: positiveInt('replayPageSize', o.replayPageSize, 500),
    commandTimeoutMs: positiveInt('commandTimeoutMs', o.commandTimeoutMs, 10_000),
    maxCommandBytes: positiveInt('maxCommandBytes', o.maxCommandBytes, 64 * 1024),
    webSocketMessageRate:
      o.webSocketMessageRate === false
        ? undefined
        : (o.webSocketMessageRate ?? { perSecond: 100, burst: 200 }),
    basePath,
    nodeId: o.nodeId ?? Math.random().toString(36).slice(2, 8),
  };
}
