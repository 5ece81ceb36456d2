import type { EventMeta, StoredEvent } from '../../core/stored-event.js';
import { GeneratedIds } from '../generated-ids.js';

/** A stream entry's fields, flat: name, value, name, value… */
export type Fields = readonly string[];

function fieldsToMap(flat: Fields): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] as string, flat[i + 1] as string);
  return m;
}

/**
 * Ids made without the history's key (before it was ever read): they resolve as unknown anywhere
 * (a `reset`, never a gap), and show nothing.
 */
export const orphanIds = GeneratedIds.create();

/**
 * Turns stream entries of topics into StoredEvents: a supplied id is in the entry, a generated one
 * is made from the position with the history's id key (all of a page in one cipher call).
 */
export function entriesToEvents(
  ids: GeneratedIds | undefined,
  rows: ReadonlyArray<readonly [topic: string, pos: string, flat: Fields]>,
): StoredEvent[] {
  const maps = rows.map(([, , flat]) => fieldsToMap(flat));
  const missing = rows.filter((_, i) => !maps[i]?.has('i')).map(([, pos]) => pos);
  const generated = (ids ?? orphanIds).encodeAll(missing);
  let next = 0;
  return rows.map(([topic, pos], i): StoredEvent => {
    const f = maps[i] as Map<string, string>;
    const meta = f.get('m');
    return {
      id: f.get('i') ?? (generated[next++] as string),
      pos,
      topic,
      type: f.get('y') ?? '',
      ts: Number(f.get('ts')),
      dataJson: f.get('d') ?? 'null',
      meta: meta === undefined ? undefined : (JSON.parse(meta) as EventMeta),
    };
  });
}
