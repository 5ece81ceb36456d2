import { DeliverPolicy } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import { decodeEvent } from './nats-event-codec.js';
import type { NatsHandles } from './nats-link.js';
import { type NatsStoreOptions, type NatsStoreParts, natsStoreParts } from './nats-store.js';

const utf8 = new TextDecoder();

/**
 * Fan-out on NATS. Every node reads the history stream itself through an ordered JetStream
 * consumer on `<prefix>.ev.>`, from the sequence that followed the head when it started: an
 * event is stored before any node sees it, and every node sees every event in the one order of
 * the stream's sequence. When the consumer's connection drops, the client recreates it from the
 * last sequence it delivered, so nothing is skipped; the hub is still told (`onGap`), so that
 * streams check history for anything the stream lost meanwhile.
 *
 * Events the engine's own store appended are not published again (they are in the stream);
 * anything else handed to {@link publish}, and control messages, travel over core NATS subjects
 * (at most once: a node cut off at that moment misses a control message).
 */
export class NatsBroker implements Broker {
  readonly kind = 'nats';
  private readonly listeners = new Set<BrokerListener>();
  private readonly controlListeners = new Set<ControlListener>();
  private readonly gapListeners = new Set<() => void>();
  private readonly log: Logger;
  private closed = false;
  private subs: Subscription[] = [];
  private pending: StoredEvent[] = [];
  private flushScheduled = false;
  private readonly started: Promise<void>;
  private markStarted!: () => void;
  private stopConsumer: (() => void) | undefined;
  /** True while the consumer is reading. */
  reading = false;

  constructor(
    private readonly parts: NatsStoreParts,
    private readonly fannedOut: WeakSet<StoredEvent> = new WeakSet(),
    options: { logger?: Logger | undefined } = {},
    private readonly ownsLink = false,
  ) {
    this.log = options.logger ?? silentLogger;
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    this.parts.link.onReconnect(() => this.gap());
    void this.run();
  }

  /** Resolves once this node reads live events. */
  ready(): Promise<void> {
    return this.started;
  }

  private gap(): void {
    for (const l of this.gapListeners) l();
  }

  private async run(): Promise<void> {
    const { stream } = this.parts;
    let next: number | undefined;
    let first = true;
    while (!this.closed) {
      try {
        const h = await stream.ready('live events cannot be read');
        if (this.subs.length === 0) {
          this.subscribeCore(h);
          // The server has the subscriptions before this node calls itself ready.
          await h.nc.flush();
        }
        await stream.ids(h);
        next ??= (await h.jsm.streams.info(stream.names.stream)).state.last_seq + 1;
        const consumer = await h.js.consumers.get(stream.names.stream, {
          filter_subjects: `${stream.names.events}.>`,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: next,
        });
        const messages = await consumer.consume();
        this.stopConsumer = () => void messages.stop();
        this.reading = true;
        this.markStarted();
        if (!first) this.gap();
        first = false;
        for await (const m of messages) {
          next = m.seq + 1;
          const ids = stream.idKeys.current;
          if (!ids) continue;
          const d = decodeEvent(stream.names, ids, m.subject, m.seq, m.data, m.headers);
          if (d) this.deliver(d.event);
        }
      } catch (err) {
        if (this.closed) break;
        stream.lost(err);
        this.log.warn(
          { nats: this.parts.link.where, err: err instanceof Error ? err.message : String(err) },
          'Cannot read live events from NATS; retrying',
        );
      }
      this.reading = false;
      if (!this.closed) await new Promise((r) => setTimeout(r, 250));
    }
  }

  private subscribeCore(h: NatsHandles): void {
    const { names } = this.parts.stream;
    this.subs.push(
      h.nc.subscribe(names.bus, {
        callback: (err, m) => {
          if (err) return;
          try {
            for (const ev of JSON.parse(utf8.decode(m.data)) as StoredEvent[]) this.deliver(ev);
          } catch {
            // Not ours.
          }
        },
      }),
      h.nc.subscribe(names.control, {
        callback: (err, m) => {
          if (err) return;
          let msg: ControlMessage;
          try {
            msg = JSON.parse(utf8.decode(m.data)) as ControlMessage;
          } catch {
            return;
          }
          for (const l of this.controlListeners) l(msg);
        },
      }),
    );
  }

  /** Hands events to listeners in batches, one per turn of the event loop. */
  private deliver(ev: StoredEvent): void {
    this.pending.push(ev);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (this.closed) return;
      for (const l of this.listeners) l(batch);
    });
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    const foreign = events.filter((e) => !this.fannedOut.has(e));
    if (foreign.length === 0) return;
    const h = await this.parts.link.get('the events were not fanned out');
    h.nc.publish(this.parts.stream.names.bus, JSON.stringify(foreign));
    await h.nc.flush();
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async sendControl(message: ControlMessage): Promise<void> {
    const h = await this.parts.link.get('the control message was not sent');
    h.nc.publish(this.parts.stream.names.control, JSON.stringify(message));
    await h.nc.flush();
  }

  onControl(listener: ControlListener): () => void {
    this.controlListeners.add(listener);
    return () => this.controlListeners.delete(listener);
  }

  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopConsumer?.();
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    if (this.ownsLink) await this.parts.link.close();
  }
}

/**
 * Creates a NATS broker on its own connection (it closes it with itself).
 * @see NatsBroker
 */
export function natsBroker(options: NatsStoreOptions): NatsBroker {
  return new NatsBroker(natsStoreParts(options), new WeakSet(), options, true);
}
