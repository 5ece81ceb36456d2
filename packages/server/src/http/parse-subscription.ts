import { type TopicPattern, validatePattern } from '@tidings/protocol';
import { HubError } from '../core/errors.js';
import { sharedPattern } from '../core/shared-pattern.js';
import type { HubRequest } from './hub-request.js';

/** A validated subscription request. */
export interface SubscriptionRequest<T = TopicPattern> {
  readonly patterns: readonly T[];
  /** From the `Last-Event-ID` header, else the dialect's query parameter. */
  readonly lastEventId: string | undefined;
}

/**
 * How one protocol names the parts of a subscription request: every transport reads `?topic=`
 * (repeatable, deduplicated, bounded) and a resume id the same way, in the same order of checks,
 * and words its refusals in its own terms.
 */
export interface SubscriptionDialect<T> {
  /** The refusal of a request without topics; absent when none is fine (a WebSocket adds them later). */
  readonly noTopics?: { readonly code: string; readonly message: string } | undefined;
  /** The sentence refusing `n` topics over `max`. */
  tooMany(n: number, max: number): string;
  /** Query parameters that may carry the resume id, the first present winning. */
  readonly idParams: readonly string[];
  /** The resume id's name in messages. */
  readonly idName: string;
  /** Validates and compiles one topic. @throws HubError 400 naming it. */
  compile(topic: string): T;
}

/** Longest `Last-Event-ID` accepted. */
const MAX_LAST_EVENT_ID = 1024;

/**
 * Reads `?topic=` (repeatable) and the resume id from a request, as `dialect` words it.
 * The header wins: a browser EventSource keeps the original URL (and its query) on reconnect
 * but sends the newest id in the header.
 * @throws HubError 400 naming the offending topic or limit.
 */
export function readSubscription<T>(
  req: HubRequest,
  maxTopics: number,
  dialect: SubscriptionDialect<T>,
): SubscriptionRequest<T> {
  const q = req.url.searchParams;
  const raw = q.getAll('topic');
  if (raw.length === 0 && dialect.noTopics) {
    throw new HubError(400, dialect.noTopics.code, dialect.noTopics.message);
  }
  const unique = [...new Set(raw)];
  if (unique.length > maxTopics) {
    throw new HubError(400, 'too-many-topics', dialect.tooMany(unique.length, maxTopics), {
      limit: maxTopics,
    });
  }
  const patterns = unique.map((t) => dialect.compile(t));
  const header = req.header('last-event-id');
  let query: string | undefined;
  for (const name of dialect.idParams) {
    query = q.get(name) ?? undefined;
    if (query !== undefined) break;
  }
  const lastEventId = header !== undefined && header !== '' ? header : query || undefined;
  if (lastEventId !== undefined && lastEventId.length > MAX_LAST_EVENT_ID) {
    throw new HubError(
      400,
      'bad-request',
      `The ${dialect.idName} is ${lastEventId.length} characters long; ids are at most ${MAX_LAST_EVENT_ID}.`,
    );
  }
  return { patterns, lastEventId };
}

/** `GET /events`: hub topic patterns, compiled once per distinct pattern hub-wide. */
export const EVENTS_DIALECT: SubscriptionDialect<TopicPattern> = {
  noTopics: {
    code: 'invalid-pattern',
    message: 'Subscribe to at least one topic, for example /events?topic=leases&topic=tenant/acme/**.',
  },
  tooMany: (n, max) =>
    `This subscription names ${n} topics; the limit is ${max}. Use a wildcard pattern such as "tenant/acme/**" instead.`,
  idParams: ['lastEventId'],
  idName: 'Last-Event-ID',
  compile(source) {
    const err = validatePattern(source);
    if (err) throw new HubError(400, 'invalid-pattern', err.message, { topic: source });
    return sharedPattern(source);
  },
};

/**
 * Reads `?topic=` (repeatable) and the resume id of an event stream request.
 * @throws HubError 400 naming the offending topic or limit.
 */
export function parseSubscription(req: HubRequest, maxTopics: number): SubscriptionRequest {
  return readSubscription(req, maxTopics, EVENTS_DIALECT);
}
