import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Hub } from '../../core/hub-types.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import type { ActivitySnapshot, ActivityTracker } from './activity-tracker.js';

/** One open connection as listed on the admin page. */
export interface ConnectionRow {
  readonly id: string;
  readonly transport: string;
  readonly user: string | undefined;
  readonly topics: readonly string[];
  readonly remoteAddress: string;
  readonly openedAt: string;
  readonly eventsSent: number;
  readonly bytesSent: number;
  readonly bufferedBytes: number;
  /** True for `$sys` streams (admin pages, `tidings top`). */
  readonly sys: boolean;
}

/** What `GET /admin/stats` answers and `$sys/stats` carries. */
export interface HubStats {
  /** The node that answered. */
  readonly node: string;
  /**
   * With several worker processes (`tidings serve --workers`): the node id of every worker whose
   * figures are summed here, sorted. Absent for a hub of one process.
   */
  readonly workers?: readonly string[] | undefined;
  readonly time: string;
  readonly uptimeS: number;
  readonly store: string;
  readonly broker: string;
  readonly connections: {
    readonly open: number;
    /** Of which `$sys` streams (admin pages, `tidings top`). */
    readonly sys: number;
    readonly byTransport: Readonly<Record<string, number>>;
    readonly subscriptions: number;
    readonly bufferedBytes: number;
    /** Largest outbound queues first, then newest; at most `maxListed`. */
    readonly list: readonly ConnectionRow[];
    /** True when more connections are open than listed. */
    readonly truncated: boolean;
  };
  readonly process: {
    readonly heapUsedBytes: number;
    readonly rssBytes: number;
    /** The memory budget (`maxMemoryBytes`). */
    readonly memoryBudgetBytes: number;
    /** What the hub counts against the budget (see `Hub.memory`). */
    readonly memoryUsedBytes: number;
    /** Requests refused with 503 for the budget since the start. */
    readonly memoryShed: number;
    /** Event-loop delay since the previous sample, in ms. */
    readonly eventLoopLagP99Ms: number;
    readonly eventLoopLagMaxMs: number;
  };
  readonly activity: ActivitySnapshot;
}

/**
 * Builds {@link HubStats} from a hub and its {@link ActivityTracker}; owns the event-loop delay
 * monitor, which is sampled (and restarted) by {@link StatsSource.sample}.
 */
export class StatsSource {
  private readonly lag: IntervalHistogram;
  private readonly startedAt = Date.now();
  private lastLag = { p99: 0, max: 0 };

  constructor(
    private readonly hub: Hub,
    readonly tracker: ActivityTracker,
    private readonly maxListed = 100,
  ) {
    this.lag = monitorEventLoopDelay({ resolution: 20 });
    this.lag.enable();
  }

  /** Takes the event-loop delay of the period just ended and starts a new one. */
  sample(): void {
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    this.lastLag = { p99: ms(this.lag.percentile(99)), max: ms(this.lag.max) };
    this.lag.reset();
  }

  /** The current figures. */
  stats(): HubStats {
    const conns = this.hub.connections();
    const byTransport: Record<string, number> = {};
    let subscriptions = 0;
    let buffered = 0;
    let sys = 0;
    for (const c of conns) {
      if (c.topics.length > 0 && c.topics.every(isReservedTopic)) sys++;
      byTransport[c.transport] = (byTransport[c.transport] ?? 0) + 1;
      subscriptions += c.topics.length;
      buffered += c.bufferedBytes;
    }
    const listed = [...conns]
      .sort((a, b) => b.bufferedBytes - a.bufferedBytes || b.openedAt - a.openedAt)
      .slice(0, this.maxListed)
      .map(
        (c): ConnectionRow => ({
          id: c.id,
          transport: c.transport,
          user: c.user,
          topics: c.topics.slice(0, 8),
          remoteAddress: c.remoteAddress,
          openedAt: new Date(c.openedAt).toISOString(),
          eventsSent: c.eventsSent,
          bytesSent: c.bytesSent,
          bufferedBytes: c.bufferedBytes,
          sys: c.topics.length > 0 && c.topics.every(isReservedTopic),
        }),
      );
    const mem = process.memoryUsage();
    const budget = this.hub.memory();
    return {
      node: this.hub.nodeId,
      time: new Date().toISOString(),
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      store: this.hub.engine.store.kind,
      broker: this.hub.engine.broker.kind,
      connections: {
        open: conns.length,
        sys,
        byTransport,
        subscriptions,
        bufferedBytes: buffered,
        list: listed,
        truncated: conns.length > listed.length,
      },
      process: {
        heapUsedBytes: mem.heapUsed,
        rssBytes: mem.rss,
        memoryBudgetBytes: budget.budgetBytes,
        memoryUsedBytes: budget.usedBytes,
        memoryShed: budget.shed.stream + budget.shed.replay + budget.shed.body,
        eventLoopLagP99Ms: this.lastLag.p99,
        eventLoopLagMaxMs: this.lastLag.max,
      },
      activity: this.tracker.snapshot(),
    };
  }

  /** Stops the event-loop monitor. */
  close(): void {
    this.lag.disable();
  }
}
