/**
 * `@tidings/client`: one event stream that never silently dies. Typed events from
 * `defineEvents`, resume without loss, backoff with jitter, heartbeat watchdog, token refresh,
 * and one connection shared by all tabs of a browser. Runs in browsers, workers and Node 20.
 * @packageDocumentation
 */

export type {
  ConnectedPayload,
  EventDataOf,
  EventDefinitions,
  EventTypeOf,
  ForceLogoutPayload,
  ResetReason,
  TidingsEvent,
} from '@tidings/protocol';
// Re-exported so a browser app needs one import for the contract and the client.
export { defineEvents, formatIssues } from '@tidings/protocol';
export type { BackoffOptions, ResolvedBackoff } from './backoff.js';
export { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export { browserEnvironment } from './browser-environment.js';
export type {
  AnyEventDefinitions,
  ClientEvent,
  ClientStats,
  EventMeta,
  InvalidEvent,
  ResetInfo,
  UndeclaredEvent,
  ValidationIssue,
} from './client-event.js';
export type { ClientOptions, HeadersOption, TokenFunction, TokenReason } from './client-options.js';
export { DEFAULT_PAUSE_AFTER_MS } from './client-options.js';
export { CommandError } from './command-error.js';
export type {
  ConnectionError,
  ConnectionState,
  ConnectionStatus,
  DisconnectReason,
} from './connection-state.js';
export { createClient } from './create-client.js';
export { DEBUG_STORAGE_KEY } from './debug-log.js';
export type {
  ClientEnvironment,
  ClientLogger,
  EventSourceConstructor,
  EventSourceLike,
  EventSourceMessage,
  FetchLike,
  LockSource,
  OnlineSource,
  StorageLike,
  TabChannel,
  TimerHandle,
  TimerSource,
  VisibilitySource,
  WebSocketConstructor,
  WebSocketLike,
} from './environment.js';
export type { EventQuery } from './event-buffer.js';
export type {
  CommandCallOptions,
  DeclaredType,
  EventLog,
  KnownType,
  LogQuery,
  TidingsClient,
  Unsubscribe,
} from './tidings-client.js';
