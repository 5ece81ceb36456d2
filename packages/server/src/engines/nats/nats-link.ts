import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import { HubError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';

/** Options shared by the NATS engine's parts. */
export interface NatsLinkOptions {
  /**
   * Milliseconds a request to NATS may take before it fails (a publish then gets 503).
   * @defaultValue 5000
   */
  requestTimeoutMs?: number | undefined;
  /** Extra `@nats-io/transport-node` connection options (TLS, credentials…), merged over the engine's. */
  connectionOptions?: Partial<ConnectionOptions> | undefined;
  /** Where connection problems are logged. @defaultValue silent */
  logger?: Logger | undefined;
}

/** A live connection with its JetStream handles. */
export interface NatsHandles {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** `nats://user:secret@host:4222` → `nats://host:4222`, for messages and logs. */
export function redactNatsUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the configured NATS server';
  }
}

/**
 * Checks a NATS URL up front so that a typo fails with a clear message instead of endless
 * reconnection attempts.
 * @throws {RangeError} naming what is wrong.
 */
export function checkNatsUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`"${url}" is not a URL; give NATS as nats://host:4222 (or tls:// for TLS).`);
  }
  if (u.protocol === 'redis:' || u.protocol === 'rediss:') {
    throw new RangeError(
      `"${redactNatsUrl(url)}" is a Redis URL; pass it to --redis, or give NATS as nats://host:4222.`,
    );
  }
  if (u.protocol !== 'nats:' && u.protocol !== 'tls:') {
    throw new RangeError(
      `The NATS URL must start with nats:// or tls://, not ${u.protocol}//; for example nats://127.0.0.1:4222.`,
    );
  }
  if (!u.hostname) throw new RangeError(`The NATS URL "${redactNatsUrl(url)}" names no host.`);
}

/** Whether `err` says that the server has no JetStream. */
function isJetStreamMissing(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /jetstream (is )?not enabled|no responders|503/i.test(msg);
}

/**
 * One NATS connection plus what the engine needs to fail fast and explain itself: whether NATS
 * is reachable right now, and why not. Connects in the background and reconnects forever.
 */
export class NatsLink {
  /** The URL without credentials, for messages. */
  readonly where: string;
  readonly requestTimeoutMs: number;
  private handles: NatsHandles | undefined;
  private readonly connecting: Promise<NatsHandles>;
  private connected = false;
  private lastError: string | undefined;
  /** Set when NATS answers but cannot serve the engine (no JetStream): retrying will not help. */
  private fatal: string | undefined;
  private closed = false;
  private readonly log: Logger;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(url: string, options: NatsLinkOptions, name: string) {
    checkNatsUrl(url);
    this.where = redactNatsUrl(url);
    this.log = options.logger ?? silentLogger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    if (!Number.isInteger(this.requestTimeoutMs) || this.requestTimeoutMs < 10) {
      throw new RangeError(
        `NATS option requestTimeoutMs must be a whole number of at least 10, not ${options.requestTimeoutMs}.`,
      );
    }
    const u = new URL(url);
    const auth: Partial<ConnectionOptions> = {};
    if (u.username && u.password) {
      auth.user = decodeURIComponent(u.username);
      auth.pass = decodeURIComponent(u.password);
    } else if (u.username) {
      auth.token = decodeURIComponent(u.username);
    }
    const opts: ConnectionOptions = {
      servers: `${u.protocol === 'tls:' ? 'tls' : 'nats'}://${u.host}`,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: this.requestTimeoutMs,
      ...auth,
      ...options.connectionOptions,
    };
    this.connecting = this.open(opts);
    // Callers that never wait still must not see an unhandled rejection.
    this.connecting.catch(() => {});
  }

  private async open(opts: ConnectionOptions): Promise<NatsHandles> {
    // The first connection is retried like any later one (the hub may start before NATS does),
    // by this loop rather than the client's, so that close() also stops it.
    let nc: NatsConnection | undefined;
    while (!nc) {
      if (this.closed) throw new Error('The NATS link was closed.');
      try {
        nc = await connect(opts);
      } catch (err) {
        const first = this.lastError === undefined;
        this.lastError = err instanceof Error ? err.message : String(err);
        if (first)
          this.log.warn({ nats: this.where, err: this.lastError }, 'NATS connection failed; retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (this.closed) {
      await nc.close();
      throw new Error('The NATS link was closed.');
    }
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc, { timeout: this.requestTimeoutMs });
    } catch (err) {
      this.fatal = isJetStreamMissing(err)
        ? `NATS at ${this.where} does not have JetStream enabled; start nats-server with -js (or add "jetstream {}" to its configuration).`
        : `NATS at ${this.where} refused the JetStream API (${err instanceof Error ? err.message : String(err)}); check that this account may use JetStream.`;
      this.log.error({ nats: this.where }, this.fatal);
      await nc.close();
      throw new Error(this.fatal);
    }
    const js = jetstream(nc, { timeout: this.requestTimeoutMs });
    this.handles = { nc, js, jsm };
    this.connected = true;
    this.lastError = undefined;
    void this.watch(nc);
    return this.handles;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        if (this.connected) this.log.warn({ nats: this.where }, 'NATS connection lost; reconnecting');
        this.connected = false;
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.lastError = undefined;
        this.log.info({ nats: this.where }, 'NATS is reachable again');
        for (const l of this.reconnectListeners) l();
      } else if (s.type === 'error') {
        this.lastError = String((s as { error?: unknown }).error ?? 'error');
      }
    }
  }

  /** Whether requests can be sent now. */
  get up(): boolean {
    return this.connected && !this.closed;
  }

  /** Calls `listener` each time the connection comes back after a loss. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private reason(): string {
    return this.lastError ? ` (${this.lastError})` : '';
  }

  /** A sentence for `/healthz`: NATS is unreachable or unusable, and what that means. */
  describeDown(): string {
    if (this.fatal) return this.fatal;
    return `NATS at ${this.where} is unreachable${this.reason()}; publishes fail with 503 until it is back.`;
  }

  /** A 503 saying NATS is unreachable and what that means for `consequence`. */
  unavailable(consequence: string): HubError {
    if (this.fatal) return new HubError(503, 'unavailable', `${this.fatal} Until then ${consequence}.`);
    return new HubError(
      503,
      'unavailable',
      `NATS at ${this.where} is unreachable${this.reason()}, so ${consequence}. Retry in a moment.`,
      undefined,
      { 'retry-after': '1' },
    );
  }

  /**
   * The connection: at once when up; while the first connection is being made, waits for it up
   * to the request timeout; throws {@link unavailable} when NATS is known to be down.
   */
  async get(consequence: string): Promise<NatsHandles> {
    if (this.closed) throw new HubError(503, 'unavailable', 'The NATS engine is closed.');
    if (this.handles) {
      if (!this.connected) throw this.unavailable(consequence);
      return this.handles;
    }
    if (this.fatal) throw this.unavailable(consequence);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.connecting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.requestTimeoutMs);
        }),
      ]);
    } catch {
      throw this.unavailable(consequence);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns a failed request into a 503 that says what happened to `consequence`. */
  failure(err: unknown, consequence: string): HubError {
    if (err instanceof HubError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    if (!this.connected || /CONNECTION_CLOSED|disconnect|closed/i.test(msg))
      return this.unavailable(consequence);
    if (/timeout|TIMEOUT/.test(msg)) {
      return new HubError(
        503,
        'unavailable',
        `NATS at ${this.where} did not answer in time (${msg}), so ${consequence}. Retry in a moment.`,
        undefined,
        { 'retry-after': '1' },
      );
    }
    return new HubError(
      503,
      'unavailable',
      `NATS at ${this.where} refused the request (${msg}), so ${consequence}.`,
      undefined,
      { 'retry-after': '1' },
    );
  }

  /** Resolves once connected with JetStream, or rejects after `timeoutMs` saying what to do. */
  async waitReady(timeoutMs: number): Promise<NatsHandles> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.connecting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `NATS at ${this.where} is not reachable after ${timeoutMs} ms${this.reason()}; check the URL and that nats-server is running.`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (draining nothing: every write the engine waits for is acknowledged). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    await this.handles?.nc.close().catch(() => {});
  }
}
