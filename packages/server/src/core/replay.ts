import type { HistoryStore, TopicFilter } from '../engines/history-store.js';
import type { MemoryAccountant } from '../limits/memory-accountant.js';
import { accountedReads } from '../limits/replay-accounting.js';
import { type CatchUpResult, catchUp, type ReplayLimits, type ReplayTarget } from './catch-up.js';
import type { Logger } from './logger.js';
import type { CloseReason, ConnectionInfo, HubObserver } from './observer.js';

/** What a replay needs from the hub. */
export interface ReplayHost {
  readonly log: Logger;
  readonly engine: { readonly store: HistoryStore };
  readonly budget: MemoryAccountant;
  readonly replayLimits: ReplayLimits;
  observers(): Required<HubObserver>;
}

/** One replay: what it feeds, for which connection, from where. */
export interface ReplaySpec {
  /** The connection the replay belongs to: observed, and closed if the replay fails. */
  readonly conn: ConnectionInfo & { close(reason: CloseReason): void };
  /** Where replayed events go (the stream itself, or one WebSocket subscription). */
  readonly target: ReplayTarget;
  readonly filter: TopicFilter;
  readonly from: { readonly lastEventId: string } | { readonly pos: string };
  /** See `catchUp`. @defaultValue "reset" */
  readonly truncation?: 'reset' | 'ignore' | undefined;
  /** The connection's name in the failure log line ("stream", "connection"). */
  readonly noun: string;
  /** Called as soon as the target went live, before anything is observed. */
  readonly caughtUp?: ((result: CatchUpResult) => void) | undefined;
}

/**
 * Socket-paced replay from history for every transport: reads are charged to the memory budget,
 * a `reset` and the replayed count are observed, and a failed replay closes the connection so its
 * client retries (logged once, counted as a `replay` error).
 */
export async function replay(host: ReplayHost, spec: ReplaySpec): Promise<void> {
  const reads = accountedReads(host.engine.store, host.budget);
  try {
    const r = await catchUp(
      reads.store,
      spec.target,
      spec.filter,
      spec.from,
      host.replayLimits,
      spec.truncation,
    );
    spec.caughtUp?.(r);
    const obs = host.observers();
    if (r.reset) obs.resetSent(spec.conn, r.reset);
    if (r.replayed) obs.replayed(spec.conn, r.replayed);
  } catch (err) {
    host.observers().error('replay', err);
    host.log.error(
      { err, conn: spec.conn.id },
      `replay failed; closing the ${spec.noun} so the client retries`,
    );
    spec.conn.close('error');
  } finally {
    reads.done();
  }
}
