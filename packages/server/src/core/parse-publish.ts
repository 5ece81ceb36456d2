import { type PublishInput, validateEventId, validatePublishType, validateTopic } from '@tidings/protocol';
import { parseJsonBody } from '../http/parse-json-body.js';
import { HubError } from './errors.js';
import type { EventMeta } from './stored-event.js';

/** A publish request item after validation, with its payload serialised once. */
export interface ParsedPublish {
  readonly topic: string;
  readonly type: string;
  readonly id: string | undefined;
  readonly dataJson: string;
  readonly meta: EventMeta | undefined;
}

/** Fields a publish item may carry; features register more (e.g. `to`) via `extraFields`. */
const BASE_FIELDS = new Set(['topic', 'type', 'data', 'id']);

/** Limits applied while validating. */
export interface PublishLimits {
  readonly maxPayloadBytes: number;
  readonly maxBatchSize: number;
  /** Deepest nesting of arrays and objects in a request body. @defaultValue 64 */
  readonly maxJsonDepth?: number | undefined;
}

/** Turns extra publish fields into event meta; throws HubError 400 on bad values. */
export type ExtraFieldParser = (value: unknown, where: string) => Partial<EventMeta>;

function fail(where: string, message: string, detail?: Record<string, unknown>): never {
  throw new HubError(400, 'invalid-event', `${where}${message}`, detail);
}

/**
 * Validates one publish item (from JSON or from `hub.publish`).
 * @param where prefix for messages, e.g. `"Event 3: "` in a batch.
 */
export function parsePublishItem(
  item: unknown,
  limits: PublishLimits,
  where = '',
  extraFields: ReadonlyMap<string, ExtraFieldParser> = new Map(),
): ParsedPublish {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    fail(
      where,
      'Each event must be a JSON object such as {"topic":"leases","type":"lease-added","data":{}}.',
    );
  }
  const o = item as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!BASE_FIELDS.has(k) && !extraFields.has(k)) {
      const allowed = [...BASE_FIELDS, ...extraFields.keys()].map((f) => `"${f}"`).join(', ');
      fail(where, `Unknown field "${k}"; an event has ${allowed}.`);
    }
  }
  if (o.topic === undefined) fail(where, 'The "topic" field is missing.');
  if (typeof o.topic !== 'string') fail(where, 'The "topic" field must be a string.');
  const topicErr = validateTopic(o.topic);
  if (topicErr)
    throw new HubError(400, 'invalid-topic', `${where}${topicErr.message}`, {
      topic: o.topic.slice(0, 256),
    });
  if (o.type === undefined) fail(where, 'The "type" field is missing.');
  const typeErr = validatePublishType(o.type);
  if (typeErr) fail(where, typeErr);
  const type = o.type as string;
  if (!('data' in o) || o.data === undefined) {
    fail(where, 'The "data" field is missing; send null for an event without payload.');
  }
  let id: string | undefined;
  if (o.id !== undefined) {
    const idErr = validateEventId(o.id);
    if (idErr) fail(where, idErr);
    id = o.id as string;
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(o.data);
  } catch (e) {
    // A cycle, a BigInt or nesting too deep for the stack (hub.publish takes objects as they
    // are; HTTP bodies were refused before parsing): the caller's data, so a 400, never a crash.
    fail(where, `The "data" field cannot be serialised as JSON (${(e as Error).message}).`);
  }
  const size = Buffer.byteLength(dataJson);
  if (size > limits.maxPayloadBytes) {
    throw new HubError(
      413,
      'payload-too-large',
      `${where}The event payload is ${size} bytes; the limit is ${limits.maxPayloadBytes}. Send a reference (an id or URL) instead of the whole object.`,
      { limit: limits.maxPayloadBytes, size },
    );
  }
  let meta: EventMeta | undefined;
  for (const [field, parse] of extraFields) {
    if (o[field] !== undefined) meta = { ...meta, ...parse(o[field], where) };
  }
  return { topic: o.topic, type, id, dataJson, meta };
}

/**
 * Parses a `POST /publish` body: one event object or an array of them.
 * @throws HubError 400 (bad JSON, nesting past `maxJsonDepth`, missing or bad field), 413 (payload
 *   or batch too large).
 */
export function parsePublishBody(
  text: string,
  limits: PublishLimits,
  extraFields?: ReadonlyMap<string, ExtraFieldParser>,
): { items: ParsedPublish[]; batch: boolean } {
  const body = parseJsonBody(text, {
    maxDepth: limits.maxJsonDepth,
    hint: 'Send {"topic","type","data"} or an array of them.',
  });
  if (Array.isArray(body)) {
    if (body.length === 0) {
      throw new HubError(400, 'invalid-event', 'The batch is empty; send at least one event.');
    }
    if (body.length > limits.maxBatchSize) {
      throw new HubError(
        413,
        'batch-too-large',
        `The batch has ${body.length} events; the limit is ${limits.maxBatchSize}. Split it into smaller batches.`,
        { limit: limits.maxBatchSize },
      );
    }
    return {
      items: body.map((item, i) => parsePublishItem(item, limits, `Event ${i}: `, extraFields)),
      batch: true,
    };
  }
  return { items: [parsePublishItem(body, limits, '', extraFields)], batch: false };
}

/** Validates a `hub.publish()` argument the same way as an HTTP body. */
export function parsePublishInputs(
  input: PublishInput | readonly PublishInput[],
  limits: PublishLimits,
  extraFields?: ReadonlyMap<string, ExtraFieldParser>,
): ParsedPublish[] {
  if (Array.isArray(input)) {
    return input.map((item, i) => parsePublishItem(item, limits, `Event ${i}: `, extraFields));
  }
  return [parsePublishItem(input, limits, '', extraFields)];
}
