/**
 * `@tidings/protocol`: the wire contract shared by the Tidings hub, client and React bindings.
 * @packageDocumentation
 */

export type {
  AnyEventOf,
  EventDataOf,
  EventDefinitions,
  EventInputOf,
  EventSchemas,
  EventTypeOf,
  EventValidation,
} from './define-events.js';
export { defineEvents, formatIssues } from './define-events.js';
export type { PublishInput, TidingsEvent } from './envelope.js';
export { ENVELOPE_LIMITS, validateEventId, validateEventType, validatePublishType } from './envelope.js';
export type { ErrorBody, ErrorCode } from './errors.js';
export { ERROR_CODES } from './errors.js';
export { comparePositions, isPosition } from './position.js';
export type { SseFrameFields } from './sse-frame.js';
export {
  encodeSseComment,
  encodeSseFrame,
  hasLoneSurrogate,
  isValidSseId,
  SseEncodingError,
} from './sse-frame.js';
export type {
  ConnectedPayload,
  ForceLogoutPayload,
  HeartbeatPayload,
  ResetPayload,
  ResetReason,
  SystemEventType,
  TokenExpiredPayload,
} from './system-events.js';
export { isSystemEventType, SYSTEM_EVENTS } from './system-events.js';
export type { TopicError, TopicPattern } from './topic.js';
export {
  compilePattern,
  isWildcardPattern,
  matchTopic,
  patternCovers,
  TOPIC_LIMITS,
  validatePattern,
  validateTopic,
} from './topic.js';
export type {
  ParsedClientMessage,
  WsAckMessage,
  WsClientMessage,
  WsCommandMessage,
  WsConnectedMessage,
  WsErrorBody,
  WsErrorMessage,
  WsEventMessage,
  WsForceLogoutMessage,
  WsHubMessage,
  WsNackMessage,
  WsPingMessage,
  WsPongMessage,
  WsResetMessage,
  WsSubscribeMessage,
  WsTokenExpiredMessage,
  WsUnsubscribeMessage,
} from './ws-messages.js';
export {
  describeClientValue,
  jsonDepth,
  parseClientMessage,
  validateCommandName,
  WS_CLOSE,
  WS_LIMITS,
  WS_MESSAGE_LIMITS,
  WS_PROTOCOL_VERSION,
  WS_SUBPROTOCOL,
} from './ws-messages.js';
