import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { HubError } from '../../core/errors.js';
import type { Hub } from '../../core/hub-types.js';
import type { CloseReason, ConnectionInfo, HubObserver } from '../../core/observer.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { HubRequest } from '../../http/hub-request.js';
import { registerHubGauges } from './hub-gauges.js';
import { BoundedLabels, LabelPolicy, OTHER_LABEL } from './label-policy.js';
import type { MetricsOptions } from './metrics-options.js';

/** One topic-label × type-label pair, counted without touching prom-client on the hot path. */
interface Cell {
  readonly topic: string;
  readonly type: string;
  published: number;
  delivered: number;
}

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Maps `HubObserver.error`'s `where` to a bounded component label. */
function component(where: string): string {
  if (where === 'store' || where === 'replay') return 'store';
  if (where === 'broker' || where === 'engine') return 'engine';
  return 'handler';
}

/**
 * A {@link HubObserver} that keeps Prometheus metrics with `prom-client`.
 *
 * Hot-path hooks (`published`, `delivered`) only add to plain numbers in a map keyed by label
 * pair; prom-client's counters are brought up to date when the registry is scraped. Gauges that
 * describe open connections (count, subscriptions, buffered bytes) are read from the hub at scrape
 * time, so they are exact even for connections opened before the observer was attached.
 *
 * @see installMetrics to attach it and serve `GET /metrics`.
 */
export class PrometheusObserver implements HubObserver {
  /** The registry holding every metric of this observer. */
  readonly registry: Registry;
  private readonly labels: LabelPolicy;
  private readonly cells = new Map<string, Cell>();
  private readonly maxPairs: number;
  private readonly resetReasons = new BoundedLabels(10);
  private readonly rejectCodes = new BoundedLabels(40);
  private readonly authReasons = new BoundedLabels(20);
  private hub: Hub | undefined;

  private readonly opened: Counter<'transport'>;
  private readonly closed: Counter<'transport' | 'reason'>;
  private readonly replayedTotal: Counter;
  private readonly resets: Counter<'reason'>;
  private readonly slow: Counter;
  private readonly rejected: Counter<'status' | 'code'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly rateLimited: Counter<'code'>;
  private readonly errors: Counter<'component'>;
  private readonly publishDuration: Histogram;
  private readonly deliveryLatency: Histogram;

  constructor(o: MetricsOptions = {}) {
    this.registry = o.registry ?? new Registry();
    this.labels = new LabelPolicy(o);
    this.maxPairs = o.maxLabelPairs ?? 500;
    if (!Number.isInteger(this.maxPairs) || this.maxPairs <= 0) {
      throw new RangeError(
        `The metrics option maxLabelPairs must be a positive integer, not ${this.maxPairs}.`,
      );
    }
    const p = o.prefix ?? 'tidings_';
    const registers = [this.registry];
    const buckets = [...(o.latencyBuckets ?? DEFAULT_BUCKETS)];
    const cells = this.cells;

    registerHubGauges(p, registers, () => this.hub);
    this.opened = new Counter({
      name: `${p}connections_opened_total`,
      help: 'Subscriber connections opened, by transport.',
      labelNames: ['transport'],
      registers,
    });
    this.closed = new Counter({
      name: `${p}connections_closed_total`,
      help: 'Subscriber connections closed, by transport and reason (client, slow-consumer, shutdown, disconnected, …).',
      labelNames: ['transport', 'reason'],
      registers,
    });
    new Counter({
      name: `${p}events_published_total`,
      help: 'Events made durable, by topic label and type label (bounded: see the metrics label options).',
      labelNames: ['topic', 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of cells.values()) this.inc({ topic: c.topic, type: c.type }, c.published);
      },
    });
    new Counter({
      name: `${p}events_delivered_total`,
      help: 'Live event writes to subscribers (one event to n subscribers counts n), by topic label and type label.',
      labelNames: ['topic', 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of cells.values()) this.inc({ topic: c.topic, type: c.type }, c.delivered);
      },
    });
    this.replayedTotal = new Counter({
      name: `${p}events_replayed_total`,
      help: 'Events sent from history to resuming connections.',
      registers,
    });
    this.resets = new Counter({
      name: `${p}resets_total`,
      help: 'reset events sent to resuming clients, by reason (unknown-id, history-truncated).',
      labelNames: ['reason'],
      registers,
    });
    this.slow = new Counter({
      name: `${p}slow_consumer_disconnects_total`,
      help: 'Connections dropped because their outbound queue passed the buffer limit.',
      registers,
    });
    this.rejected = new Counter({
      name: `${p}requests_rejected_total`,
      help: 'Requests refused with an error status, by status and error code.',
      labelNames: ['status', 'code'],
      registers,
    });
    this.authFailures = new Counter({
      name: `${p}auth_failures_total`,
      help: 'Requests refused with 401 or 403, by reason (the error detail "reason" when given, else the code).',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimited = new Counter({
      name: `${p}rate_limited_requests_total`,
      help: 'Requests refused with 429 by a rate or connection limit, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.errors = new Counter({
      name: `${p}errors_total`,
      help: 'Failures inside the hub, by component: store (appends, replay reads), engine (broker), handler.',
      labelNames: ['component'],
      registers,
    });
    for (const c of ['store', 'engine', 'handler']) this.errors.inc({ component: c }, 0);
    this.publishDuration = new Histogram({
      name: `${p}publish_duration_seconds`,
      help: 'From publish request to the store acknowledging the batch as durable.',
      buckets,
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: `${p}publish_to_write_seconds`,
      help: 'From the hub accepting an event to its frame being written to subscriber sockets (millisecond resolution: measured against the event timestamp so it holds across nodes).',
      buckets,
      registers,
    });
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads connection gauges from `hub` at scrape time. {@link installMetrics} calls it. */
  bind(hub: Hub): void {
    this.hub = hub;
  }

  /** The Prometheus text exposition of every metric in the registry. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  private cell(ev: StoredEvent): Cell {
    let topic = this.labels.topic(ev.topic);
    let type = this.labels.type(ev.type);
    let key = `${topic}\u0000${type}`;
    let c = this.cells.get(key);
    if (c) return c;
    if (this.cells.size >= this.maxPairs) {
      topic = OTHER_LABEL;
      type = OTHER_LABEL;
      key = `${topic}\u0000${type}`;
      c = this.cells.get(key);
      if (c) return c;
    }
    c = { topic, type, published: 0, delivered: 0 };
    this.cells.set(key, c);
    return c;
  }

  // ---- HubObserver ------------------------------------------------------------------------

  connectionOpened(conn: ConnectionInfo): void {
    this.opened.inc({ transport: conn.transport });
  }

  connectionClosed(conn: ConnectionInfo, reason: CloseReason): void {
    this.closed.inc({ transport: conn.transport, reason });
  }

  published(events: readonly StoredEvent[], durationMs: number): void {
    for (const ev of events) this.cell(ev).published++;
    this.publishDuration.observe(durationMs / 1000);
  }

  delivered(event: StoredEvent, subscribers: number): void {
    this.cell(event).delivered += subscribers;
    this.deliveryLatency.observe(Math.max(0, Date.now() - event.ts) / 1000);
  }

  replayed(_conn: ConnectionInfo, count: number): void {
    this.replayedTotal.inc(count);
  }

  resetSent(_conn: ConnectionInfo, reason: string): void {
    this.resets.inc({ reason: this.resetReasons.label(reason) });
  }

  slowConsumer(): void {
    this.slow.inc();
  }

  requestRejected(_req: HubRequest, error: HubError): void {
    const code = this.rejectCodes.label(error.code);
    this.rejected.inc({ status: String(error.status), code });
    if (error.status === 401 || error.status === 403) {
      const reason = error.detail?.reason;
      this.authFailures.inc({ reason: this.authReasons.label(typeof reason === 'string' ? reason : code) });
    } else if (error.status === 429) {
      this.rateLimited.inc({ code });
    }
  }

  error(where: string): void {
    this.errors.inc({ component: component(where) });
  }
}
