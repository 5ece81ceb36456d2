/**
 * `@tidings/server`: the Tidings hub. Topics, durable history, gap-free replay, SSE over
 * node:http or Web `fetch`, pluggable stores and brokers.
 * @packageDocumentation
 */

export type { Authorizer, Principal, SubscribeGrant } from './auth/authorizer.js';
export { allowAll } from './auth/authorizer.js';
export type { LogoutTarget } from './auth/forced-logout.js';
export type { TopicGrant } from './auth/grant.js';
export {
  checkSubscription,
  grantCanCommand,
  grantCanPublish,
  grantCanRead,
  patternsIntersect,
} from './auth/grant.js';
export type { AuthOptions, GrantPatterns, JwtOptions, ResolvedAuth } from './auth/jwt-authorizer.js';
export { jwtAuthorizer } from './auth/jwt-authorizer.js';
export { checkKeySet, keySetAlgorithms, MAX_KEY_SET_BYTES, MAX_KEY_SET_KEYS } from './auth/key-set.js';
export { BACKEND_PUBLISHER, publisherKey } from './auth/publisher-key.js';
export type { FoundToken, TokenSource } from './auth/token-source.js';
export { findToken, MAX_TOKEN_LENGTH, queryToken } from './auth/token-source.js';
export { userLogoutKey } from './auth/user-logout-key.js';
export { HubError, isHubError } from './core/errors.js';
export type { FetchInfo, Hub, PublishResult, UpgradeHandler } from './core/hub-types.js';
export type { Logger } from './core/logger.js';
export { silentLogger } from './core/logger.js';
export type { CloseReason, ConnectionInfo, HubObserver } from './core/observer.js';
export type { HubOptions, ResolvedHubOptions } from './core/options.js';
export { resolveOptions } from './core/options.js';
export { isReservedTopic, SYS_NAMESPACE } from './core/reserved-topics.js';
export { HARD_CAP_FACTOR, REPLAY_HIGH_WATER } from './core/slow-consumer-rule.js';
export type { EventMeta, NewEvent, StoredEvent } from './core/stored-event.js';
export { envelopeJson, eventFrame, toEnvelope } from './core/stored-event.js';
export { SubscriberIndex } from './core/subscriber-index.js';
export type { Broker, BrokerListener, ControlListener, ControlMessage } from './engines/broker.js';
export {
  loadEmbeddedRevocations,
  loadEmbeddedSqliteDriver,
  loadEmbeddedStore,
} from './engines/embedded-store.js';
export type { Engine, RevocationStore } from './engines/engine.js';
export { localEngine } from './engines/engine.js';
export { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from './engines/generated-ids.js';
export type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  RetentionRule,
  TopicFilter,
} from './engines/history-store.js';
export { MAX_ID_MATCHES, resumePosition } from './engines/history-store.js';
export type { ConnectionDispatcherOptions, DispatchTarget } from './engines/ipc/connection-dispatcher.js';
export { ConnectionDispatcher, receiveConnections } from './engines/ipc/connection-dispatcher.js';
export type { IpcEngineOptions } from './engines/ipc/ipc-engine.js';
export { DEFAULT_MAX_IN_FLIGHT, ipcEngine } from './engines/ipc/ipc-engine.js';
export { IpcEngineHost } from './engines/ipc/ipc-host.js';
export { IpcLimitsHost, ipcLimitCounters } from './engines/ipc/ipc-limits.js';
export type { IpcPort } from './engines/ipc/ipc-messages.js';
export type { HubPeers, IpcPeers, IpcPeersHostOptions, PeerAnswers } from './engines/ipc/ipc-peers.js';
export { IpcPeersHost, ipcPeers } from './engines/ipc/ipc-peers.js';
export { LocalPresence } from './engines/memory/local-presence.js';
export { MemoryBroker, memoryBroker } from './engines/memory/memory-broker.js';
export { MemoryPresence } from './engines/memory/memory-presence.js';
export type {
  Cutoff,
  MemoryRevocationsOptions,
  RevocationSnapshot,
} from './engines/memory/memory-revocations.js';
export { MemoryRevocations, memoryRevocations } from './engines/memory/memory-revocations.js';
export type { MemoryStoreOptions } from './engines/memory/memory-store.js';
export { MemoryStore, memoryStore } from './engines/memory/memory-store.js';
export type { PresenceCount, PresenceEntry, PresenceStore } from './engines/presence-store.js';
export { DEFAULT_RETENTION, RetentionPolicy } from './engines/retention.js';
export { betterSqlite3Driver } from './engines/sqlite/better-sqlite3-driver.js';
export { bunSqliteDriver } from './engines/sqlite/bun-sqlite-driver.js';
export { embeddedSqliteDriver } from './engines/sqlite/embedded-sqlite-driver.js';
export { nodeSqliteDriver } from './engines/sqlite/node-sqlite-driver.js';
export type { Runtime } from './engines/sqlite/runtime.js';
export { currentRuntime } from './engines/sqlite/runtime.js';
export type {
  SqliteConnection,
  SqliteDriver,
  SqliteRunResult,
  SqliteStatement,
  SqliteValue,
} from './engines/sqlite/sqlite-driver.js';
export type { SqliteRevocationsOptions } from './engines/sqlite/sqlite-revocations.js';
export { SqliteRevocations, sqliteRevocations } from './engines/sqlite/sqlite-revocations.js';
export type { SqliteStoreOptions } from './engines/sqlite/sqlite-store.js';
export { SqliteStore, sqliteStore } from './engines/sqlite/sqlite-store.js';
export type { CorsOptions } from './http/cors.js';
export type { HubRequest, HubResponse } from './http/hub-request.js';
export { ClientGoneError, json } from './http/hub-request.js';
export type { JsonBodyOptions } from './http/parse-json-body.js';
export { jsonDepthExceeds, parseJsonBody } from './http/parse-json-body.js';
export type { Middleware, RouteHandler, RouteParams, RouteResult } from './http/route.js';
export type { ServerLimits } from './http/server-limits.js';
export {
  attachWebSocket,
  createHubServer,
  type HubServerOptions,
  hardenServer,
  hubServerOptions,
} from './http/server-limits.js';
export type { SinkCloseListener, StreamSink } from './http/stream-sink.js';
export { createHub } from './hub.js';
export type { LimitCounters, SlotRequest } from './limits/limit-counters.js';
export { LocalLimitCounters, userLimitKey } from './limits/limit-counters.js';
export type { LimitOptions } from './limits/limits.js';
export type {
  HeldKind,
  MemoryAccountantOptions,
  MemorySample,
  MemorySnapshot,
  MemoryWork,
} from './limits/memory-accountant.js';
export { defaultMemoryBudget, MemoryAccountant, MIN_MEMORY_BUDGET } from './limits/memory-accountant.js';
export type { Rate } from './limits/token-bucket.js';
export type { MercureLinkOptions } from './mercure/discovery.js';
export { mercureLink } from './mercure/discovery.js';
export type { MercureOptions } from './mercure/mercure-options.js';
export { MERCURE_PATH } from './mercure/mercure-options.js';
export type { TopicSelector } from './mercure/selector.js';
export { compileSelector } from './mercure/selector.js';
export type { MercureMeta } from './mercure/topic-mapping.js';
export { hubTopicOf } from './mercure/topic-mapping.js';
export type { TemplateError, UriTemplate } from './mercure/uri-template.js';
export { compileUriTemplate } from './mercure/uri-template.js';
export type {
  ActivitySnapshot,
  ActivityTrackerOptions,
  CountEntry,
  RecentEvent,
  SlowConsumerEntry,
} from './plugins/admin/activity-tracker.js';
export { ActivityTracker } from './plugins/admin/activity-tracker.js';
export type { AdminHandle, AdminOptions } from './plugins/admin/admin-options.js';
export type { ConnectionRow, HubStats } from './plugins/admin/hub-stats.js';
export { installAdmin } from './plugins/admin/install-admin.js';
export type {
  CommandContext,
  CommandHandler,
  CommandOptions,
} from './plugins/commands/command-registry.js';
export { CommandError } from './plugins/commands/command-registry.js';
export type { ConnectionLogOptions } from './plugins/logging/connection-log-observer.js';
export { ConnectionLogObserver } from './plugins/logging/connection-log-observer.js';
export { installMetrics } from './plugins/metrics/install-metrics.js';
export type { LabelPolicyOptions } from './plugins/metrics/label-policy.js';
export { LabelPolicy, OTHER_LABEL } from './plugins/metrics/label-policy.js';
export type { MetricsOptions } from './plugins/metrics/metrics-options.js';
export type { InstallMetricsOptions } from './plugins/metrics/metrics-plugin.js';
export { PrometheusObserver } from './plugins/metrics/prometheus-observer.js';
export type { SysAuthorizer, SysTopics } from './plugins/sys/sys-channel.js';
export type { SysPublisherOptions } from './plugins/sys/sys-publisher.js';
export { startSysPublisher } from './plugins/sys/sys-publisher.js';
export { SSE_HEADERS } from './transports/sse/sse-headers.js';
