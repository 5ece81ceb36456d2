import { type TopicPattern, validatePattern } from '@tidings/protocol';
import { HubError } from '../core/errors.js';
import { sharedPattern } from '../core/shared-pattern.js';
import type { HubRequest } from '../http/hub-request.js';

/** A validated subscription request. */
export interface SubscriptionRequest {
  readonly patterns: readonly TopicPattern[];
  /** From the `Last-Event-ID` header, else the `lastEventId` query parameter. */
  readonly lastEventId: string | undefined;
}

/** Longest `Last-Event-ID` accepted. */
const MAX_LAST_EVENT_ID = 1024;

/** The shared compiled pattern (see {@link sharedPattern}), once `source` proved valid. */
function compiledPattern(source: string): TopicPattern {
  const err = validatePattern(source);
  if (err) throw new HubError(400, 'invalid-pattern', err.message, { topic: source });
  return sharedPattern(source);
}

/**
 * Reads `?topic=` (repeatable) and the resume id from a request.
 * @throws HubError 400 naming the offending topic or limit.
 */
export function parseSubscription(req: HubRequest, maxTopics: number): SubscriptionRequest {
  const raw = req.url.searchParams.getAll('topic');
  if (raw.length === 0) {
    throw new HubError(
      400,
      'invalid-pattern',
      'Subscribe to at least one topic, for example /events?topic=leases&topic=tenant/acme/**.',
    );
  }
  const unique = [...new Set(raw)];
  if (unique.length > maxTopics) {
    throw new HubError(
      400,
      'too-many-topics',
      `This subscription names ${unique.length} topics; the limit is ${maxTopics}. Use a wildcard pattern such as "tenant/acme/**" instead.`,
      { limit: maxTopics },
    );
  }
  const patterns = unique.map(compiledPattern);
  // The header wins: a browser EventSource keeps the original URL (and its query) on reconnect
  // but sends the newest id in the header.
  const header = req.header('last-event-id');
  const query = req.url.searchParams.get('lastEventId') ?? undefined;
  const lastEventId = header !== undefined && header !== '' ? header : query || undefined;
  if (lastEventId !== undefined && lastEventId.length > MAX_LAST_EVENT_ID) {
    throw new HubError(
      400,
      'bad-request',
      `The Last-Event-ID is ${lastEventId.length} characters long; ids are at most ${MAX_LAST_EVENT_ID}.`,
    );
  }
  return { patterns, lastEventId };
}
