import type { ClientEnvironment, ClientLogger } from './environment.js';

/** The localStorage key that switches debug logging on in browsers (`'1'`). */
export const DEBUG_STORAGE_KEY = 'tidings-debug';

/** Debug lines only when switched on; warnings and errors always. */
export interface DebugLog extends ClientLogger {
  readonly enabled: boolean;
}

/** Whether debug logging is on: the `debug` option, else `localStorage['tidings-debug'] === '1'`. */
export function debugEnabled(option: boolean, env: Pick<ClientEnvironment, 'storage'>): boolean {
  if (option) return true;
  try {
    return env.storage?.getItem(DEBUG_STORAGE_KEY) === '1';
  } catch {
    return false;
  }
}

/** Wraps a logger so debug lines cost nothing while logging is off. */
export function createDebugLog(enabled: boolean, logger: ClientLogger): DebugLog {
  return {
    enabled,
    debug: enabled ? (m, ...d) => logger.debug(m, ...d) : () => {},
    warn: (m, ...d) => logger.warn(m, ...d),
    error: (m, ...d) => logger.error(m, ...d),
  };
}
