import type { Broker } from './broker.js';
import type { HistoryStore } from './history-store.js';
import { MemoryBroker } from './memory/memory-broker.js';
import type { PresenceStore } from './presence-store.js';

/**
 * Tokens, sessions and users refused before their natural expiry (forced logout). Shared by every
 * node of a cluster when the engine provides a networked one.
 *
 * Two kinds of entry: a revoked key (a token or a session: every credential carrying it is
 * refused), and a cut-off (a user: credentials issued at or before a time are refused, later ones
 * are accepted, so the user can sign in again). Each lasts until its `untilMs`, which the hub sets
 * to when the last credential it refuses would have expired anyway.
 *
 * @see runRevocationSuite, the conformance suite every implementation passes.
 */
export interface RevocationStore {
  /**
   * Refuses `key` (a token `jti` or a session id, namespaced by the caller) until `untilMs`
   * (epoch ms). Revoking a key again keeps the later time.
   */
  revoke(key: string, untilMs: number): Promise<void>;
  /** Whether `key` is currently revoked. */
  isRevoked(key: string): Promise<boolean>;
  /**
   * Refuses credentials of `key` (a user, namespaced by the caller) issued at or before
   * `issuedUpToMs` (epoch ms), until `untilMs`. A second call keeps the later of each time.
   */
  revokeIssuedUpTo(key: string, issuedUpToMs: number, untilMs: number): Promise<void>;
  /**
   * The cut-off in force for `key`: credentials issued at or before it are refused. Undefined
   * when there is none (never set, or past its `untilMs`).
   */
  issuedUpTo(key: string): Promise<number | undefined>;
  /** Releases resources. */
  close?(): Promise<void>;
}

/**
 * The pair a hub runs on: a history store and a broker that carries stored events between nodes.
 * Single node: a SQLite or memory store with the in-process broker. Several nodes: an engine
 * whose store and broker share a backend (Redis).
 */
export interface Engine {
  readonly store: HistoryStore;
  readonly broker: Broker;
  /**
   * Where revocations live. Absent means the hub keeps them itself (in memory, on this node only).
   */
  readonly revocations?: RevocationStore | undefined;
  /**
   * Where presence (`GET /presence`) is kept. Absent means each node counts its own connections.
   */
  readonly presence?: PresenceStore | undefined;
  /** Reports whether the backend is reachable, for `/healthz`. @defaultValue always healthy */
  health?(): Promise<{ status: 'ok' | 'degraded'; detail?: string }>;
  /** Closes store and broker. */
  close(): Promise<void>;
}

/**
 * An engine from a store and, optionally, a broker (default: the in-process {@link MemoryBroker})
 * and a revocation store (default: the hub keeps revocations in memory), all closed with it.
 */
export function localEngine(
  store: HistoryStore,
  broker: Broker = new MemoryBroker(),
  revocations?: RevocationStore,
): Engine {
  return {
    store,
    broker,
    revocations,
    async close() {
      await broker.close();
      await store.close();
      await revocations?.close?.();
    },
  };
}
