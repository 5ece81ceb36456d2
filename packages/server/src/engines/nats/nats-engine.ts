import type { StoredEvent } from '../../core/stored-event.js';
import type { Engine } from '../engine.js';
import { NatsBroker } from './nats-broker.js';
import { NatsPresence } from './nats-presence.js';
import { NatsRevocationStore } from './nats-revocations.js';
import { checkNatsNumber, NatsStore, type NatsStoreOptions, natsStoreParts } from './nats-store.js';

/** Options of {@link natsEngine}. */
export interface NatsEngineOptions extends Omit<NatsStoreOptions, 'url'> {
  /**
   * How long a connection stays in presence counts without its node announcing it again: the
   * longest the connections of a node that died are still counted.
   * @defaultValue 30000
   */
  presenceTtlMs?: number | undefined;
}

/** The engine {@link natsEngine} returns: the {@link Engine} parts plus NATS-specific handles. */
export interface NatsEngine extends Engine {
  readonly store: NatsStore;
  readonly broker: NatsBroker;
  readonly revocations: NatsRevocationStore;
  readonly presence: NatsPresence;
  /**
   * Resolves once connected to a NATS with JetStream, the stream in place, and reading live
   * events; rejects after `timeoutMs` with a sentence saying what to do (NATS unreachable,
   * JetStream not enabled). The hub works without waiting (publishes wait up to the request
   * timeout for the first connection, then fail fast while NATS is down); `tidings serve` waits
   * so that a wrong URL shows up at start.
   * @defaultValue timeoutMs 5000
   */
  ready(timeoutMs?: number): Promise<void>;
  health(): Promise<{ status: 'ok' | 'degraded'; detail?: string }>;
}

/**
 * Runs a hub on NATS JetStream, so that several hub processes behave as one: publish to any
 * node, subscribe on any node, resume on any node with `Last-Event-ID`.
 *
 * - **History** ({@link NatsStore}): one stream, one subject per topic, the stream sequence as
 *   the position (one order across every topic), retention per topic by count and age,
 *   supplied ids idempotent per publisher and topic.
 * - **Fan-out** ({@link NatsBroker}): every node reads the stream with an ordered consumer, so
 *   an event is durable before any node delivers it and all nodes deliver in the same order.
 * - **Presence** and **revocations** in KV buckets shared by every node; control messages
 *   (forced disconnects) on a core NATS subject.
 * - **NATS down**: publishes fail at once with 503, `/healthz` says `degraded`, open streams stay
 *   open; once NATS is back, delivery resumes from the last sequence each node read. If the
 *   stream lost its history (purged or deleted behind the hub's back), resuming clients get
 *   `reset`, never a silent gap.
 *
 * Needs nats-server 2.9 or later with JetStream enabled (`-js`).
 *
 * @example
 * ```ts
 * import { createHub } from '@tidings/server';
 * import { natsEngine } from '@tidings/server/nats';
 * const hub = createHub({ engine: natsEngine('nats://127.0.0.1:4222') });
 * ```
 * @param url `nats://host:4222` or `tls://host:4222`; `user:password@` or `token@` in the URL for
 *   credentials, or any `@nats-io/transport-node` option in `connectionOptions`.
 * @throws {RangeError} for a malformed URL or option.
 */
export function natsEngine(url: string, options: NatsEngineOptions = {}): NatsEngine {
  // Check the numbers before opening any connection, so a bad option leaks nothing.
  checkNatsNumber('presenceTtlMs', options.presenceTtlMs, 300);
  const parts = natsStoreParts({ ...options, url });
  const fannedOut = new WeakSet<StoredEvent>();
  const store = new NatsStore({ ...options, url }, parts, fannedOut);
  const broker = new NatsBroker(parts, fannedOut, { logger: options.logger });
  const names = parts.stream.names;
  const replicas = options.replicas;
  const revocations = new NatsRevocationStore(parts.link, { bucket: names.revocationsBucket, replicas });
  const presence = new NatsPresence(parts.link, {
    bucket: names.presenceBucket,
    ttlMs: options.presenceTtlMs,
    replicas,
  });
  let closed: Promise<void> | undefined;
  return {
    store,
    broker,
    revocations,
    presence,
    async ready(timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      await parts.link.waitReady(timeoutMs);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        broker.ready(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `Cannot read events from the NATS stream ${names.stream} at ${parts.link.where} after ${timeoutMs} ms; check that this account may create streams.`,
                ),
              ),
            Math.max(0, end - Date.now()),
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async health() {
      if (!parts.link.up) return { status: 'degraded', detail: parts.link.describeDown() };
      if (!broker.reading) {
        return {
          status: 'degraded',
          detail: `This node is reconnecting to the NATS stream ${names.stream} at ${parts.link.where}; live events from other nodes are delayed.`,
        };
      }
      return { status: 'ok' };
    },
    close() {
      closed ??= (async () => {
        await broker.close();
        await store.close();
        await parts.link.close();
      })();
      return closed;
    },
  };
}
