/**
 * `@tidings/react`: a live UI in a few lines. One connection app-wide (`TidingsProvider`),
 * typed event hooks, the connection state as a Zustand store, a status indicator and row
 * flashes. Cache invalidation lives in `@tidings/react/query` (TanStack Query) and
 * `@tidings/react/swr`; toasts in `@tidings/react/toast` (sonner); styles in
 * `@tidings/react/styles.css`.
 * @packageDocumentation
 */

export type {
  ConnectionState,
  ConnectionStatus as ConnectionStatusName,
  ForceLogoutPayload,
  ResetInfo,
  TidingsClient,
} from '@tidings/client';
export {
  type ConnectionLabels,
  type ConnectionTone,
  type ConnectionToneOptions,
  connectionLabel,
  connectionTone,
  DEFAULT_CONNECTION_LABELS,
  DEFAULT_CONNECTION_TONE,
  disconnectedReason,
} from './connection-labels.js';
export { ConnectionStatus, type ConnectionStatusProps } from './connection-status.js';
export { type ConnectionSnapshot, type ConnectionStore, createConnectionStore } from './connection-store.js';
export { formatAgo, formatTime } from './format-time.js';
export type {
  CheckedInvalidationRules,
  CheckedUpdateRules,
  InvalidationRule,
  InvalidationRules,
  KeysResult,
  UpdateRule,
  UpdateRules,
} from './invalidation-rules.js';
export { type CoalescerTimers, DEFAULT_COALESCE_MS } from './key-coalescer.js';
export { matchType, typeMatcher } from './match-type.js';
export type {
  AppDataOf,
  AppEvent,
  AppEventOf,
  CheckedKey,
  EventCallback,
  EventPattern,
  GlobTemplate,
  KnownPattern,
  Register,
  RegisteredEvents,
  RegisteredType,
  TypeKey,
  TypesMatching,
  UnknownKey,
} from './register.js';
export { TidingsContext, type TidingsContextValue } from './tidings-context.js';
export {
  TidingsProvider,
  type TidingsProviderClientProps,
  type TidingsProviderOptionsProps,
  type TidingsProviderProps,
} from './tidings-provider.js';
export { useClient } from './use-client.js';
export { type UseCommandResult, useCommand } from './use-command.js';
export { useConnection } from './use-connection.js';
export { useConnectionTone } from './use-connection-tone.js';
export { type UseEventOptions, useEvent } from './use-event.js';
export {
  type CacheAdapter,
  type InvalidationOptions,
  useEventInvalidation,
} from './use-event-invalidation.js';
export { type UseEventsOptions, useEvents, useLastEvent } from './use-events.js';
export { useForceLogout, useReset } from './use-force-logout.js';
export {
  DEFAULT_FLASH_MS,
  type FlashedRow,
  type RowFlash,
  type RowKey,
  type UseRowFlashOptions,
  useRowFlash,
} from './use-row-flash.js';
