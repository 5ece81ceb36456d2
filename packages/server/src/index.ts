/**
 * `@tidings/server`: the Tidings hub. Topics, durable history, gap-free replay, SSE over
 * node:http or Web `fetch`, pluggable stores and brokers.
 * @packageDocumentation
 */

export type {
  ActivitySnapshot,
  ActivityTrackerOptions,
  CountEntry,
  RecentEvent,
  SlowConsumerEntry,
} from './admin/activity-tracker.js';
export { ActivityTracker } from './admin/activity-tracker.js';
export type { AdminHandle, AdminOptions } from './admin/admin-route.js';
export { installAdmin } from './admin/admin-route.js';
export type { ConnectionRow, HubStats } from './admin/hub-stats.js';
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
export type { FoundToken, TokenSource } from './auth/token-source.js';
export { findToken, MAX_TOKEN_LENGTH, queryToken } from './auth/token-source.js';
export { userLogoutKey } from './auth/user-logout-key.js';
export type { Authorizer, Principal, SubscribeGrant } from './authorizer.js';
export { allowAll } from './authorizer.js';
export type { Broker, BrokerListener, ControlListener, ControlMessage } from './brokers/broker.js';
export { MemoryBroker, memoryBroker } from './brokers/memory-broker.js';
export type {
  CommandContext,
  CommandHandler,
  CommandOptions,
} from './commands/command-registry.js';
export { CommandError } from './commands/command-registry.js';
export type { Engine, RevocationStore } from './engine.js';
export { localEngine } from './engine.js';
export { HubError, isHubError } from './errors.js';
export type { CorsOptions } from './http/cors.js';
export type { HubRequest, HubResponse } from './http/hub-request.js';
export { ClientGoneError, json } from './http/hub-request.js';
export type { JsonBodyOptions } from './http/parse-json-body.js';
export { jsonDepthExceeds, parseJsonBody } from './http/parse-json-body.js';
export type { ServerLimits } from './http/server-limits.js';
export {
  attachWebSocket,
  createHubServer,
  type HubServerOptions,
  hardenServer,
  hubServerOptions,
} from './http/server-limits.js';
export type { SinkCloseListener, StreamSink } from './http/stream-sink.js';
export type {
  FetchInfo,
  Hub,
  Middleware,
  PublishResult,
  RouteHandler,
  RouteResult,
  UpgradeHandler,
} from './hub.js';
export { createHub, SSE_HEADERS } from './hub.js';
export type { ConnectionDispatcherOptions, DispatchTarget } from './ipc/connection-dispatcher.js';
export { ConnectionDispatcher, receiveConnections } from './ipc/connection-dispatcher.js';
export type { IpcEngineOptions } from './ipc/ipc-engine.js';
export { DEFAULT_MAX_IN_FLIGHT, ipcEngine } from './ipc/ipc-engine.js';
export { IpcEngineHost } from './ipc/ipc-host.js';
export { IpcLimitsHost, ipcLimitCounters } from './ipc/ipc-limits.js';
export type { IpcPort } from './ipc/ipc-messages.js';
export type { HubPeers, IpcPeers, IpcPeersHostOptions, PeerAnswers } from './ipc/ipc-peers.js';
export { IpcPeersHost, ipcPeers } from './ipc/ipc-peers.js';
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
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { ConnectionLogOptions } from './logging/connection-log-observer.js';
export { ConnectionLogObserver } from './logging/connection-log-observer.js';
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
export type { LabelPolicyOptions } from './metrics/label-policy.js';
export { LabelPolicy, OTHER_LABEL } from './metrics/label-policy.js';
export type { InstallMetricsOptions, MetricsOptions } from './metrics/prometheus-observer.js';
export { installMetrics, PrometheusObserver } from './metrics/prometheus-observer.js';
export type { CloseReason, ConnectionInfo, HubObserver } from './observer.js';
export type { HubOptions, ResolvedHubOptions } from './options.js';
export { resolveOptions } from './options.js';
export { LocalPresence } from './presence/local-presence.js';
export { MemoryPresence } from './presence/memory-presence.js';
export type { PresenceCount, PresenceEntry, PresenceStore } from './presence/presence-store.js';
export { BACKEND_PUBLISHER, publisherKey } from './publisher-key.js';
export { HARD_CAP_FACTOR, REPLAY_HIGH_WATER } from './slow-consumer-rule.js';
export type { EventMeta, NewEvent, StoredEvent } from './stored-event.js';
export { envelopeJson, eventFrame, toEnvelope } from './stored-event.js';
export { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from './stores/generated-ids.js';
export type {
  AppendResult,
  HistoryStore,
  ReadResult,
  ResumePoint,
  RetentionOptions,
  RetentionRule,
  TopicFilter,
} from './stores/history-store.js';
export { MAX_ID_MATCHES, resumePosition } from './stores/history-store.js';
export type { Cutoff, MemoryRevocationsOptions, RevocationSnapshot } from './stores/memory-revocations.js';
export { MemoryRevocations, memoryRevocations } from './stores/memory-revocations.js';
export type { MemoryStoreOptions } from './stores/memory-store.js';
export { MemoryStore, memoryStore } from './stores/memory-store.js';
export { DEFAULT_RETENTION, RetentionPolicy } from './stores/retention.js';
export type { SqliteRevocationsOptions } from './stores/sqlite-revocations.js';
export { SqliteRevocations, sqliteRevocations } from './stores/sqlite-revocations.js';
export type { SqliteStoreOptions } from './stores/sqlite-store.js';
export { SqliteStore, sqliteStore } from './stores/sqlite-store.js';
export { SubscriberIndex } from './subscriber-index.js';
export type { SysAuthorizer, SysTopics } from './sys/sys-channel.js';
export { isReservedTopic, SYS_NAMESPACE } from './sys/sys-channel.js';
export type { SysPublisherOptions } from './sys/sys-publisher.js';
export { startSysPublisher } from './sys/sys-publisher.js';
