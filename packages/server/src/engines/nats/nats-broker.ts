import type { MsgHdrs, Subscription } from '@nats-io/transport-node';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import { decodeEvent } from './nats-event-codec.js';
import type { NatsHandles } from './nats-link.js';
import { type NatsStoreOptions, type NatsStoreParts, natsStoreParts } from './nats-store.js';

const utf8 = new TextDecoder();

/** A republished message, or a check that everything up to a sequence was delivered. */
type Incoming =
  | { seq: number; subject: string; data: Uint8Array; headers: MsgHdrs | undefined }
  | { upTo: number; created: string };

/** Options of {@link NatsBroker}. */
export interface NatsBrokerOptions {
  /** Where problems are logged. @defaultValue silent */
  logger?: Logger | undefined;
  /**
   * Most events a node fetches from the stream when it finds it missed some live ones; beyond,
   * its streams resume from history instead.
   * @defaultValue 1000
   */
  fillLimit?: number | undefined;
  /**
   * How often a node compares the stream's last sequence with what it delivered, in ms.
   * @defaultValue 1000
   */
  syncMs?: number | undefined;
}

/**
 * Fan-out on NATS. The stream republishes every message it stores (JetStream `republish`) to
 * `<prefix>.rp.<subject>` with its sequence, and every node subscribes to that: an event is
 * stored before any node sees it, and every node sees every event in the one order of the
 * stream's sequence. Core NATS may drop a message (a reconnect, a slow consumer), so each node
 * checks the sequences: a jump is filled in from the stream by direct gets, and every second the
 * node compares the stream's last sequence with what it delivered, so the last events before a
 * pause are not left behind. A node that missed more than `fillLimit` events, or a stream
 * deleted behind the hub's back, makes the hub resume every stream from history (`onGap`).
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
  /** The next stream sequence this node delivers. */
  private expected: number | undefined;
  /** When the stream was created, to tell a stream deleted and created again. */
  private created: string | undefined;
  private readonly incoming: Incoming[] = [];
  private draining = false;
  private readonly syncMs: number;
  private readonly fillLimit: number;
  /** True while the consumer is reading. */
  reading = false;

  constructor(
    private readonly parts: NatsStoreParts,
    private readonly fannedOut: WeakSet<StoredEvent> = new WeakSet(),
    options: NatsBrokerOptions = {},
    private readonly ownsLink = false,
  ) {
    this.log = options.logger ?? silentLogger;
    this.fillLimit = options.fillLimit ?? 1000;
    this.syncMs = options.syncMs ?? 1000;
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    void this.run();
  }

  /** Resolves once this node reads live events. */
  ready(): Promise<void> {
    return this.started;
  }

  private gap(): void {
    for (const l of this.gapListeners) l();
  }

  /** Connects, subscribes, and keeps checking that nothing the stream stored was missed. */
  private async run(): Promise<void> {
    const { stream } = this.parts;
    while (!this.closed) {
      try {
        const h = await stream.ready('live events cannot be read');
        await stream.ids(h);
        if (this.subs.length === 0) {
          this.subscribeCore(h);
          // The server has the subscriptions before this node takes its starting point, so
          // every event stored after it arrives live or is filled in from the stream.
          await h.nc.flush();
          const info = await h.jsm.streams.info(stream.names.stream);
          this.expected ??= info.state.last_seq + 1;
          this.created ??= info.created;
          this.reading = true;
          this.markStarted();
        }
        // A republished message lost on the way (a reconnect, a slow consumer) shows as a jump
        // in sequences when the next one arrives; this catches the last ones before a pause.
        await new Promise((r) => setTimeout(r, this.syncMs));
        if (this.closed) break;
        const info = await h.jsm.streams.info(stream.names.stream);
        this.enqueue({ upTo: info.state.last_seq, created: info.created });
        this.reading = this.parts.link.up;
      } catch (err) {
        if (this.closed) break;
        this.reading = false;
        stream.lost(err);
        this.log.warn(
          { nats: this.parts.link.where, err: err instanceof Error ? err.message : String(err) },
          'Cannot check the NATS stream for missed events; retrying',
        );
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Queues a republished message, or a check up to a sequence, for {@link drain} in order. */
  private enqueue(item: Incoming): void {
    this.incoming.push(item);
    if (!this.draining) {
      this.draining = true;
      void this.drain().finally(() => {
        this.draining = false;
      });
    }
  }

  /**
   * Delivers republished events in sequence order, filling any jump from the stream itself
   * (a direct get per missing sequence, up to `fillLimit`; beyond that, the hub is told of a
   * gap and streams resume from history).
   */
  private async drain(): Promise<void> {
    const { stream } = this.parts;
    while (this.incoming.length > 0 && !this.closed) {
      const item = this.incoming.shift() as Incoming;
      const expected = this.expected;
      if (expected === undefined) continue;
      const upTo = 'upTo' in item ? item.upTo : item.seq - 1;
      if ('created' in item && item.created !== this.created) {
        // The stream was deleted and created again: its sequences start anew, and whatever the
        // old one held after this node's last delivery is gone.
        this.created = item.created;
        this.expected = upTo + 1;
        this.gap();
        continue;
      }
      if (upTo >= expected) {
        if (upTo - expected + 1 > this.fillLimit) {
          this.log.warn(
            { nats: this.parts.link.where, missed: upTo - expected + 1 },
            'This node missed more live events than it fills in; its streams resume from history',
          );
          this.gap();
        } else {
          try {
            const h = await this.parts.link.get('missed live events cannot be read');
            for (let seq = expected; seq <= upTo; seq++) {
              const m = await h.jsm.direct.getMessage(stream.names.stream, { seq });
              if (m) this.emit(m.subject, m.seq, m.data, m.header);
            }
          } catch {
            // Cannot read them now: put the item back and let the next check try again.
            this.incoming.unshift(item);
            return;
          }
        }
        this.expected = upTo + 1;
      }
      if ('seq' in item && item.seq >= (this.expected ?? 0)) {
        this.emit(item.subject, item.seq, item.data, item.headers);
        this.expected = item.seq + 1;
      }
    }
  }

  private emit(subject: string, seq: number, data: Uint8Array, headers: MsgHdrs | undefined): void {
    const { stream } = this.parts;
    const ids = stream.idKeys.current;
    if (!ids) return;
    const d = decodeEvent(stream.names, ids, subject, seq, data, headers);
    if (d) this.deliver(d.event);
  }

  private subscribeCore(h: NatsHandles): void {
    const { names } = this.parts.stream;
    const republished = `${names.republish}.`;
    this.subs.push(
      h.nc.subscribe(`${names.republish}.>`, {
        callback: (err, m) => {
          if (err || !m.headers) return;
          const seq = Number(m.headers.get('Nats-Sequence'));
          const subject = m.subject.startsWith(republished) ? m.subject.slice(republished.length) : '';
          if (Number.isSafeInteger(seq)) this.enqueue({ seq, subject, data: m.data, headers: m.headers });
        },
      }),
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
