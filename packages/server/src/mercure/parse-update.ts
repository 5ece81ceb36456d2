import { isSystemEventType, validateEventId, validateEventType } from '@tidings/protocol';
import { bad, checkTopic } from './mercure-checks.js';

/** What `POST /.well-known/mercure` was asked to publish. */
export interface MercureUpdate {
  readonly topics: string[];
  readonly data: string;
  readonly private: boolean;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly retry: number | undefined;
}

export function parseUpdate(body: string): MercureUpdate {
  const form = new URLSearchParams(body);
  const topics = form.getAll('topic');
  if (topics.length === 0) {
    throw bad('The update has no "topic" field; send topic=<IRI> (repeat it for alternate topics).');
  }
  for (const t of topics) checkTopic(t, 'topic');
  const rawId = form.get('id');
  let id: string | undefined;
  if (rawId !== null && rawId !== '') {
    const err = validateEventId(rawId);
    if (err) throw bad(err.replace('The event id', 'The "id" field'));
    if (rawId.startsWith('#'))
      throw bad('The "id" field must not start with "#" (the Mercure protocol reserves it).');
    id = rawId;
  }
  const rawType = form.get('type');
  let type: string | undefined;
  if (rawType !== null && rawType !== '') {
    const err = validateEventType(rawType);
    if (err)
      throw bad(
        err.replace('The event "type"', 'The "type" field').replace('The event type', 'The "type" field'),
      );
    if (isSystemEventType(rawType)) {
      throw bad(`The type "${rawType}" is reserved for the hub's own events; choose another name.`);
    }
    type = rawType;
  }
  const rawRetry = form.get('retry');
  let retry: number | undefined;
  if (rawRetry !== null && rawRetry !== '') {
    if (!/^\d{1,9}$/.test(rawRetry)) {
      throw bad(`The "retry" field must be a whole number of milliseconds, not "${rawRetry.slice(0, 40)}".`);
    }
    retry = Number(rawRetry);
  }
  return { topics, data: form.get('data') ?? '', private: form.has('private'), id, type, retry };
}
