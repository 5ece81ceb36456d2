/**
 * The logging interface the hub writes to: a subset of pino's, so a pino logger can be passed
 * as is. Objects come first, the message second.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (the library default; the CLI passes a real one). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
