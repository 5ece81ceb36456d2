/**
 * `@tidings/server/nats`: run several hub nodes as one, on NATS JetStream. Requires the
 * `@nats-io/transport-node`, `@nats-io/jetstream` and `@nats-io/kv` peer dependencies; only this
 * entry point loads them.
 *
 * @example
 * ```ts
 * import { createHub } from '@tidings/server';
 * import { natsEngine } from '@tidings/server/nats';
 * const hub = createHub({ engine: natsEngine('nats://127.0.0.1:4222') });
 * ```
 * @packageDocumentation
 */
export { NatsBroker, natsBroker } from './nats-broker.js';
export type { NatsEngine, NatsEngineOptions } from './nats-engine.js';
export { natsEngine } from './nats-engine.js';
export type { NatsHandles, NatsLinkOptions } from './nats-link.js';
export { checkNatsUrl, NatsLink, redactNatsUrl } from './nats-link.js';
export type { NatsPresenceOptions } from './nats-presence.js';
export { NatsPresence } from './nats-presence.js';
export type { NatsRevocationOptions } from './nats-revocations.js';
export { NatsRevocationStore } from './nats-revocations.js';
export type { NatsStoreOptions } from './nats-store.js';
export { NatsStore, natsStore } from './nats-store.js';
