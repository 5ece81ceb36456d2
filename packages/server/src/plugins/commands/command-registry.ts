import { validateCommandName, type WsErrorBody } from '@tidings/protocol';
import type { Principal } from '../../auth/authorizer.js';
import { isHubError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** What a command handler knows about its caller. */
export interface CommandContext {
  /** The command name, as in `job.pause`. */
  readonly name: string;
  /** Who called, as the authorizer established it (user, session, tenant, claims). */
  readonly principal: Principal;
  /** Shortcut for `principal.user` (the token's `sub`). */
  readonly user: string | undefined;
  /** How the command arrived: a WebSocket message, or `POST /commands/{name}`. */
  readonly transport: 'websocket' | 'http';
  /** The WebSocket connection's id; undefined over HTTP. */
  readonly connectionId: string | undefined;
  /**
   * Aborts when the caller stops waiting: the timeout passed, the WebSocket closed, the HTTP
   * client went away, or the hub is shutting down. Pass it to the work you start.
   */
  readonly signal: AbortSignal;
}

/**
 * Handles one command. Returns the result sent back in the `ack` (any JSON value; `undefined`
 * becomes `null`). Throw a {@link CommandError} to refuse with a code and a message the caller
 * may see; any other error becomes `command-failed` with a generic message (and is logged).
 */
export type CommandHandler<A = unknown, R = unknown> = (args: A, ctx: CommandContext) => R | Promise<R>;

/** Options of `hub.onCommand`. */
export interface CommandOptions {
  /**
   * How long the handler may run before the caller gets `nack` `timeout` (HTTP 504). The handler
   * is not stopped, only told through `ctx.signal`.
   * @defaultValue the hub option `commandTimeoutMs` (10000)
   */
  timeoutMs?: number | undefined;
}

/**
 * An error whose code and message are meant for the caller: `throw new CommandError('not-running',
 * 'Job 42 is not running, so it cannot be paused.')` arrives as `nack` with that error (HTTP: the
 * given status, 409 by default). Messages of other errors never leave the hub.
 */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    /** Machine-readable code, e.g. `not-running`. */
    readonly code: string,
    /** A sentence for the caller, saying what to do. */
    message: string,
    /** HTTP status for `POST /commands/{name}`. @defaultValue 409 */
    readonly status = 409,
    /** Extra fields of the error body. */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The outcome of running a command. */
export type CommandOutcome =
  | { readonly ok: true; readonly resultJson: string }
  | { readonly ok: false; readonly status: number; readonly error: WsErrorBody };

interface Entry {
  readonly handler: CommandHandler;
  readonly timeoutMs: number;
}

/** The hub's command handlers; runs them with a timeout and turns every failure into a safe error. */
export class CommandRegistry {
  private readonly handlers = new Map<string, Entry>();
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly defaultTimeoutMs: number,
    private readonly log: Logger,
    private readonly onError: (where: string, err: unknown) => void,
  ) {}

  /**
   * Registers `handler` for `name`, replacing an earlier one.
   * @throws {RangeError} when the name or the timeout is invalid.
   */
  register(name: string, handler: CommandHandler, o: CommandOptions = {}): void {
    const err = validateCommandName(name);
    if (err) throw new RangeError(err);
    if (typeof handler !== 'function') {
      throw new TypeError(`The handler of command "${name}" must be a function.`);
    }
    const timeoutMs = o.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(
        `The timeoutMs of command "${name}" must be a positive integer of milliseconds, not ${timeoutMs}.`,
      );
    }
    this.handlers.set(name, { handler, timeoutMs });
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** The refusal for a name nobody registered. */
  unknown(name: string): CommandOutcome {
    return {
      ok: false,
      status: 404,
      error: {
        code: 'unknown-command',
        message: `No command named "${name}" is registered on this hub; check the name, or register it with hub.onCommand.`,
        command: name,
      },
    };
  }

  /**
   * Runs a registered command. Never throws: every failure is an outcome with a code and a
   * sentence safe to show to the caller.
   */
  async run(
    name: string,
    args: unknown,
    ctx: Omit<CommandContext, 'signal' | 'name'>,
    callerSignal?: AbortSignal,
  ): Promise<CommandOutcome> {
    const entry = this.handlers.get(name);
    if (!entry) return this.unknown(name);
    const abort = new AbortController();
    const stop = () => abort.abort();
    if (callerSignal?.aborted) stop();
    else callerSignal?.addEventListener('abort', stop, { once: true });
    this.running.add(abort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), entry.timeoutMs);
      timer.unref?.();
    });
    const started = performance.now();
    try {
      const work = Promise.resolve().then(() => entry.handler(args, { ...ctx, name, signal: abort.signal }));
      // A handler that finishes after its timeout must not become an unhandled rejection.
      work.catch(() => {});
      const r = await Promise.race([work.then((value) => ({ value })), timedOut]);
      if (r === 'timeout') {
        abort.abort();
        this.log.warn({ command: name, timeoutMs: entry.timeoutMs }, 'command timed out');
        return {
          ok: false,
          status: 504,
          error: {
            code: 'timeout',
            message: `The command "${name}" did not finish within ${entry.timeoutMs} ms; its outcome is unknown, so check the state before retrying.`,
            command: name,
            timeoutMs: entry.timeoutMs,
          },
        };
      }
      let resultJson: string | undefined;
      try {
        resultJson = JSON.stringify(r.value === undefined ? null : r.value);
      } catch (e) {
        this.onError(`command ${name}`, e);
        this.log.error({ err: e, command: name }, 'command result is not JSON-serialisable');
      }
      if (resultJson === undefined) {
        return {
          ok: false,
          status: 500,
          error: {
            code: 'command-failed',
            message: `The command "${name}" ran, but its result could not be sent back; it has been logged.`,
            command: name,
          },
        };
      }
      this.log.debug({ command: name, ms: Math.round(performance.now() - started) }, 'command done');
      return { ok: true, resultJson };
    } catch (e) {
      if (e instanceof CommandError) {
        return {
          ok: false,
          status: e.status,
          error: { ...e.detail, code: e.code, message: e.message, command: name },
        };
      }
      if (isHubError(e)) {
        return {
          ok: false,
          status: e.status,
          error: { ...e.detail, code: e.code, message: e.message, command: name },
        };
      }
      this.onError(`command ${name}`, e);
      this.log.error({ err: e, command: name }, 'command handler failed');
      return {
        ok: false,
        status: 500,
        error: {
          code: 'command-failed',
          message: `The command "${name}" failed inside the hub; the error has been logged. Try again, or report it if it persists.`,
          command: name,
        },
      };
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', stop);
      this.running.delete(abort);
    }
  }

  /** Tells every running handler to stop (hub shutdown). */
  abortAll(): void {
    for (const a of this.running) a.abort();
  }
}
