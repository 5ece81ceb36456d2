import type { StoredEvent } from '../../core/stored-event.js';
import type { Broker, BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import type { IpcClient } from './ipc-client.js';

/** Live events and control messages through the primary, which fans out every event it appended. */
export class IpcBroker implements Broker {
  readonly kind = 'ipc';

  constructor(private readonly client: IpcClient) {}

  async publish(_events: readonly StoredEvent[]): Promise<void> {
    // The primary fans out every event it appended, to every worker including this one, so
    // publishing here again would deliver twice.
  }

  subscribe(listener: BrokerListener): () => void {
    this.client.eventListeners = [...this.client.eventListeners, listener];
    return () => {
      this.client.eventListeners = this.client.eventListeners.filter((l) => l !== listener);
    };
  }

  sendControl(message: ControlMessage): Promise<void> {
    return this.client.call({ op: 'control', message });
  }

  onControl(listener: ControlListener): () => void {
    this.client.controlListeners = [...this.client.controlListeners, listener];
    return () => {
      this.client.controlListeners = this.client.controlListeners.filter((l) => l !== listener);
    };
  }

  async close(): Promise<void> {}
}
