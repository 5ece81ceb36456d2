import type { EventMeta, StoredEvent } from '../../core/stored-event.js';
import type { GeneratedIds } from '../generated-ids.js';

/** A topic's row in the `topics` table, as reads use it. */
export interface TopicRow {
  topic: string;
  evicted_through: number;
}

/** An event's position and topic, which scans and sweeps read before whole rows. */
export interface PosTopic {
  pos: number;
  topic: string;
}

/** A row of the `events` table. */
export interface Row {
  pos: number;
  id: string | null;
  topic: string;
  type: string;
  ts: number;
  data: string;
  meta: string | null;
}

/** A row as an event: a supplied id as stored, else the id generated from its position. */
export function toStored(ids: GeneratedIds, r: Row, generatedId?: string): StoredEvent {
  return {
    id: r.id ?? generatedId ?? ids.encode(String(r.pos)),
    pos: String(r.pos),
    topic: r.topic,
    type: r.type,
    ts: r.ts,
    dataJson: r.data,
    meta: r.meta === null ? undefined : (JSON.parse(r.meta) as EventMeta),
  };
}

/** Rows to events, the generated ids of a page computed in one cipher call. */
export function toStoredAll(ids: GeneratedIds, rows: readonly Row[]): StoredEvent[] {
  const generated = rows.filter((r) => r.id === null).map((r) => String(r.pos));
  const encoded = ids.encodeAll(generated);
  let next = 0;
  return rows.map((r) => toStored(ids, r, r.id === null ? encoded[next++] : undefined));
}
