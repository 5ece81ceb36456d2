import type { Principal } from '../auth/authorizer.js';
import type { HubRequest } from '../http/hub-request.js';
import type { HubError } from './errors.js';
import type { StoredEvent } from './stored-event.js';

/** Why a stream ended. */
export type CloseReason =
  | 'client'
  | 'slow-consumer'
  | 'shutdown'
  | 'token-expired'
  | 'force-logout'
  | 'disconnected'
  /** The node may have missed events (see `Broker.onGap`): the client resumes from history. */
  | 'resync'
  | 'error'
  /** A WebSocket peer did not answer the hub's ping within one heartbeat interval. */
  | 'heartbeat-timeout'
  /** A WebSocket peer broke the protocol (a binary frame, a message past the hard size limit). */
  | 'protocol-error';

/** A read-only view of one subscriber connection, for observers, logs and admin pages. */
export interface ConnectionInfo {
  readonly id: string;
  readonly transport: 'sse' | 'websocket';
  /** The authenticated user (`sub`), if any. */
  readonly user: string | undefined;
  /** Who the stream was authorized for (user, session, tenant, token expiry). */
  readonly principal?: Principal | undefined;
  /** The subscribed topics and patterns. */
  readonly topics: readonly string[];
  readonly remoteAddress: string;
  /** Epoch ms when the stream opened. */
  readonly openedAt: number;
  readonly eventsSent: number;
  readonly bytesSent: number;
  readonly bufferedBytes: number;
}

/**
 * Hooks into what the hub does, for metrics, logs and admin views. Every method is optional and
 * called synchronously on the hot path: keep them cheap and never throw.
 */
export interface HubObserver {
  connectionOpened?(conn: ConnectionInfo): void;
  connectionClosed?(conn: ConnectionInfo, reason: CloseReason): void;
  /** An open connection's topics changed (a WebSocket `subscribe` or `unsubscribe`). */
  topicsChanged?(conn: ConnectionInfo): void;
  /** Events became durable (`durationMs` from request to store acknowledgement). */
  published?(events: readonly StoredEvent[], durationMs: number): void;
  /** A live event was written to `subscribers` connections. */
  delivered?(event: StoredEvent, subscribers: number): void;
  /** `count` events were replayed to a resuming connection. */
  replayed?(conn: ConnectionInfo, count: number): void;
  /** A `reset` event was sent. */
  resetSent?(conn: ConnectionInfo, reason: string): void;
  /** A connection was dropped for not reading fast enough. */
  slowConsumer?(conn: ConnectionInfo): void;
  /** A request was refused with a 4xx/5xx. */
  requestRejected?(req: HubRequest, error: HubError): void;
  /** Something failed inside the hub (store, broker, a handler). */
  error?(where: string, err: unknown): void;
}

/** Calls every observer's hook, isolating the hub from observers that throw. */
export function combineObservers(observers: readonly HubObserver[]): Required<HubObserver> {
  const call =
    <K extends keyof HubObserver>(key: K) =>
    (...args: Parameters<Required<HubObserver>[K]>) => {
      for (const o of observers) {
        const fn = o[key] as ((...a: unknown[]) => void) | undefined;
        if (!fn) continue;
        try {
          fn.apply(o, args);
        } catch {
          // An observer bug must never take a stream down.
        }
      }
    };
  return {
    connectionOpened: call('connectionOpened'),
    connectionClosed: call('connectionClosed'),
    topicsChanged: call('topicsChanged'),
    published: call('published'),
    delivered: call('delivered'),
    replayed: call('replayed'),
    resetSent: call('resetSent'),
    slowConsumer: call('slowConsumer'),
    requestRejected: call('requestRejected'),
    error: call('error'),
  };
}
