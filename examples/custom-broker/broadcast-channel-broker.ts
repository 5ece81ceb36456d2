import { BroadcastChannel } from 'node:worker_threads';
import type { Broker, BrokerListener, ControlListener, ControlMessage, StoredEvent } from '@tidings/server';

type Message =
  | { readonly t: 'events'; readonly events: readonly StoredEvent[] }
  | { readonly t: 'control'; readonly message: ControlMessage };

/**
 * A custom {@link Broker} over `BroadcastChannel`: hubs in one process or in its worker threads
 * that open the same channel name act as nodes of one cluster. A channel does not echo to its
 * sender, so each broker listens on a second channel of the same name: its own events then come
 * back through the same queue as everyone else's, which keeps per-topic order across nodes
 * (calling local listeners directly would let a local event overtake a remote one in flight).
 * Another transport (a message queue, Postgres NOTIFY) fits the same shape; prove it with
 * `runBrokerSuite`.
 */
export class BroadcastChannelBroker implements Broker {
  readonly kind = 'broadcast-channel';
  private readonly tx: BroadcastChannel;
  private readonly rx: BroadcastChannel;
  private listeners = new Set<BrokerListener>();
  private controlListeners = new Set<ControlListener>();
  private closed = false;

  constructor(name: string) {
    this.tx = new BroadcastChannel(name);
    this.rx = new BroadcastChannel(name);
    // An open channel would keep the process alive on its own.
    this.tx.unref();
    this.rx.unref();
    this.rx.onmessage = (e) => this.deliver((e as { data: Message }).data);
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    if (this.closed || events.length === 0) return;
    this.tx.postMessage({ t: 'events', events } satisfies Message);
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async sendControl(message: ControlMessage): Promise<void> {
    if (this.closed) return;
    this.tx.postMessage({ t: 'control', message } satisfies Message);
  }

  onControl(listener: ControlListener): () => void {
    this.controlListeners.add(listener);
    return () => this.controlListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tx.close();
    this.rx.close();
    this.listeners.clear();
    this.controlListeners.clear();
  }

  private deliver(m: Message): void {
    if (this.closed) return;
    if (m.t === 'events') for (const l of this.listeners) l(m.events);
    else for (const l of this.controlListeners) l(m.message);
  }
}
