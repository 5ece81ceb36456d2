/**
 * Why `client.command()`, `subscribe()` or `unsubscribe()` failed. `code` is the hub's
 * (`unknown-command`, `forbidden`, `command-failed`, `timeout`, a `CommandError` code of the
 * application…) or the client's own:
 * - `timeout`: no answer within `timeoutMs`; the command may or may not have run.
 * - `connection-lost`: the connection closed after the command was sent, before the answer; the
 *   command may or may not have run.
 * - `not-connected`: the client is not connected and the transport is WebSocket: call `connect()`.
 * - `network`: `POST /commands/{name}` could not reach the hub.
 */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status, for commands sent over `POST /commands/{name}`. */
    readonly status?: number,
  ) {
    super(message);
  }
}
