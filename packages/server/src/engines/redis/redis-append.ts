import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import { GeneratedIds, generatedShapeMessage, hasGeneratedShape } from '../generated-ids.js';
import type { AppendResult } from '../history-store.js';
import { newEpoch, type RetentionPolicy } from '../retention.js';
import type { RedisKeys } from './keys.js';
import { entriesToEvents, type Fields } from './redis-entries.js';

/**
 * The APPEND script's reply: the id key, then a row per event, `[0, pos, supplied id or ""]`, or
 * `[1, pos, id, topic, fields]` of the original when the event is a duplicate.
 */
export type AppendReply = [string, Array<[number, string, string, string?, Fields?]>];

/**
 * The APPEND script's arguments for `events` (see lua-append.ts); refuses ids of the generated
 * shapes. `clock` is a shard's position clock (`""` for a single Redis), `idKey` the id key to
 * create if the history has none.
 */
export function appendArgs(
  keys: RedisKeys,
  policy: RetentionPolicy,
  fanoutBacklog: number,
  events: readonly NewEvent[],
  clock = '',
  idKey = GeneratedIds.newKey(),
): (string | number)[] {
  const args: (string | number)[] = [keys.base, newEpoch(), fanoutBacklog, idKey, clock];
  for (const e of events) {
    if (e.id !== undefined && hasGeneratedShape(e.id)) {
      throw new HubError(400, 'invalid-event', generatedShapeMessage(e.id));
    }
    args.push(
      e.id ?? '',
      // The script splits lines of the id index at spaces and line breaks.
      e.id === undefined ? '' : encodeURIComponent(e.publisher ?? ''),
      e.topic,
      e.type,
      e.ts,
      e.dataJson,
      e.meta === undefined ? '' : JSON.stringify(e.meta),
      policy.for(e.topic).maxEvents,
    );
  }
  return args;
}

/**
 * The results of an append from the script's rows: generated ids made with the history's key
 * (all in one cipher call), duplicates answered with the original event. Events the script put on
 * the fan-out stream are added to `fannedOut`.
 */
export function appendResults(
  ids: GeneratedIds | undefined,
  rows: AppendReply[1],
  events: readonly NewEvent[],
  fannedOut: WeakSet<StoredEvent> | undefined,
): AppendResult[] {
  const generated = (ids as GeneratedIds).encodeAll(
    rows.filter((r) => r[0] === 0 && r[2] === '').map((r) => r[1]),
  );
  let next = 0;
  return rows.map((row, i): AppendResult => {
    const [dup, pos, supplied] = row;
    if (dup === 1) {
      const [original] = entriesToEvents(ids, [[row[3] as string, pos, row[4] as Fields]]);
      return { event: original as StoredEvent, duplicate: true };
    }
    const e = events[i] as NewEvent;
    const event: StoredEvent = {
      id: supplied === '' ? (generated[next++] as string) : supplied,
      pos,
      topic: e.topic,
      type: e.type,
      ts: e.ts,
      dataJson: e.dataJson,
      meta: e.meta,
    };
    fannedOut?.add(event);
    return { event, duplicate: false };
  });
}
