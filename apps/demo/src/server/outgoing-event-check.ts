/**
 * The hub's rules for a published event, checked where events enter the backend: an event the
 * hub would refuse is never queued, and one already queued (by an older version) is set aside
 * instead of blocking the outbox.
 */
import { jsonDepth, validatePublishType, validateTopic } from '@tidings/protocol';
import { isReservedTopic } from '@tidings/server';

/** Largest payload the demo's hub accepts (its `maxPayloadBytes`), in bytes of JSON. */
export const HUB_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * Deepest nesting of a payload. The hub refuses request bodies nested deeper than 64, and the
 * outbox wraps each payload in a batch array and an event object; 32 leaves room to spare.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * Why the hub would refuse this event, as a whole sentence, or `undefined` when it is fine.
 * @param dataJson - the payload, already serialised.
 */
export function outgoingEventProblem(topic: string, type: unknown, dataJson: string): string | undefined {
  const topicErr = validateTopic(topic);
  if (topicErr) return topicErr.message;
  if (isReservedTopic(topic)) {
    return `The topic "${topic}" starts with "$", which is reserved for the hub's own topics; publish to a name without "$".`;
  }
  const typeErr = validatePublishType(type);
  if (typeErr) return typeErr;
  const size = Buffer.byteLength(dataJson);
  if (size > HUB_MAX_PAYLOAD_BYTES) {
    return `The payload is ${size} bytes; the hub takes at most ${HUB_MAX_PAYLOAD_BYTES}. Send a reference (an id or URL) instead.`;
  }
  if (jsonDepth(dataJson, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) {
    return `The payload nests arrays and objects more than ${MAX_PAYLOAD_DEPTH} deep; send a flatter payload.`;
  }
  return undefined;
}
