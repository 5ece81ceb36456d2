import { HubError } from '../../core/errors.js';
import type { StoredEvent } from '../../core/stored-event.js';
import type { BrokerListener, ControlListener, ControlMessage } from '../broker.js';
import {
  fromIpcError,
  type IpcPort,
  type IpcReply,
  type IpcRequest,
  isTidingsMessage,
} from './ipc-messages.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
export type RequestBody = IpcRequest extends infer R
  ? R extends IpcRequest
    ? Omit<R, 'tidings' | 'rid'>
    : never
  : never;

/** Requests to the primary, matched to answers by id; everything fails once the channel closes. */
export class IpcClient {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  eventListeners: BrokerListener[] = [];
  controlListeners: ControlListener[] = [];
  /** Called when events arrive, before they are dispatched (history changed). */
  onEvents: (() => void) | undefined;
  private readonly onMessage = (m: unknown) => this.receive(m);

  constructor(
    private readonly port: IpcPort,
    private readonly maxInFlight: number,
  ) {
    port.on('message', this.onMessage);
  }

  /**
   * Sends a request. `bounded: false` is for callers that never have more than one request
   * waiting (the presence tracker's calls are chained), which must not be refused: presence
   * over IPC is never refreshed, so a refused announce would be lost.
   */
  call<T>(body: RequestBody, bounded = true): Promise<T> {
    if (this.closed) return Promise.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
    if (bounded && this.pending.size >= this.maxInFlight) {
      return Promise.reject(
        new HubError(
          503,
          'unavailable',
          `This worker already has ${this.maxInFlight} requests waiting for the hub's primary process, which is overloaded; retry in a moment.`,
          { limit: this.maxInFlight },
          { 'retry-after': '1' },
        ),
      );
    }
    const rid = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.port.send({ tidings: 'req', rid, ...body });
      } catch {
        this.pending.delete(rid);
        reject(
          new HubError(
            503,
            'unavailable',
            "The hub's primary process is gone, so history cannot be reached; retry on another node or restart the hub.",
          ),
        );
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.off('message', this.onMessage);
    for (const p of this.pending.values())
      p.reject(new HubError(503, 'unavailable', 'The history store is closed.'));
    this.pending.clear();
    this.eventListeners = [];
    this.controlListeners = [];
  }

  private receive(m: unknown): void {
    if (!isTidingsMessage(m)) return;
    if (m.tidings === 'events') {
      const events = (m as unknown as { events: StoredEvent[] }).events;
      this.onEvents?.();
      for (const l of this.eventListeners) l(events);
    } else if (m.tidings === 'control') {
      const message = (m as unknown as { message: ControlMessage }).message;
      for (const l of this.controlListeners) l(message);
    } else if (m.tidings === 'ok' || m.tidings === 'err') {
      const r = m as IpcReply;
      const p = this.pending.get(r.rid);
      if (!p) return;
      this.pending.delete(r.rid);
      if (r.tidings === 'ok') p.resolve(r.value);
      else p.reject(fromIpcError(r.error));
    }
  }
}
