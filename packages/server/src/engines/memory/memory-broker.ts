import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';

/**
 * The single-process broker: `publish` calls every listener synchronously, so an event reaches
 * local subscribers in the same turn it was acknowledged.
 */
export class MemoryBroker implements Broker {
  readonly kind = 'memory';
  private listeners: BrokerListener[] = [];
  private controlListeners: ControlListener[] = [];
  private closed = false;

  async publish(events: readonly StoredEvent[]): Promise<void> {
    this.publishSync(events);
  }

  /** Synchronous variant used by the hub's local fast path. */
  publishSync(events: readonly StoredEvent[]): void {
    if (this.closed || events.length === 0) return;
    for (const l of this.listeners) l(events);
  }

  subscribe(listener: BrokerListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async sendControl(message: ControlMessage): Promise<void> {
    if (this.closed) return;
    for (const l of this.controlListeners) l(message);
  }

  onControl(listener: ControlListener): () => void {
    this.controlListeners = [...this.controlListeners, listener];
    return () => {
      this.controlListeners = this.controlListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners = [];
    this.controlListeners = [];
  }
}

/**
 * Creates the single-process broker.
 * @see MemoryBroker
 */
export function memoryBroker(): MemoryBroker {
  return new MemoryBroker();
}
