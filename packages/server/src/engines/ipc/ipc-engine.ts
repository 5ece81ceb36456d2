import type { Engine } from '../engine.js';
import { IpcBroker } from './ipc-broker.js';
import { IpcClient } from './ipc-client.js';
import type { IpcHello, IpcPort } from './ipc-messages.js';
import { IpcPresence } from './ipc-presence.js';
import { IpcStore } from './ipc-store.js';

/** Options of {@link ipcEngine}. */
export interface IpcEngineOptions {
  /**
   * Most requests this worker may have waiting for the primary. Past it, requests (a publish's
   * append, a resume's read) fail at once with 503 instead of queueing without bound while the
   * primary is saturated.
   * @defaultValue 10000
   */
  maxInFlight?: number | undefined;
}

/** {@link IpcEngineOptions.maxInFlight} unless given. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;

/**
 * The engine of a worker process whose history lives in its primary ({@link IpcEngineHost}):
 * appends, reads and resumes are requests to the primary, and live events arrive from it in
 * position order, already durable. Revocations, when given, are this worker's own view of a
 * store shared some other way (for example the same SQLite file). Presence is the primary's, so
 * `GET /presence` on any worker counts the connections of all of them.
 *
 * Resolves once the primary answered, so a worker does not listen before its history is reachable.
 * @see IpcEngineHost
 */
export async function ipcEngine(
  port: IpcPort | NodeJS.Process,
  revocations?: Engine['revocations'],
  options: IpcEngineOptions = {},
): Promise<Engine> {
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be a positive integer, not ${maxInFlight}.`);
  }
  if (typeof port.send !== 'function') {
    throw new Error(
      'ipcEngine needs an IPC channel to its primary: run it in a process forked by node:cluster or child_process.fork.',
    );
  }
  const client = new IpcClient(port as IpcPort, maxInFlight);
  const hello = await client.call<IpcHello>({ op: 'hello' });
  const store = new IpcStore(client, hello);
  const broker = new IpcBroker(client);
  return {
    store,
    broker,
    revocations,
    presence: new IpcPresence(client),
    async close() {
      client.close();
      await revocations?.close?.();
    },
  };
}
