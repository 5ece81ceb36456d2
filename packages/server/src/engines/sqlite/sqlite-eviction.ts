import type { HistoryStatements } from './sqlite-statements.js';

/**
 * Removes the topic's events up to `pos` and raises its watermark; returns the new watermark
 * when that emptied the topic. Runs inside the caller's transaction.
 */
export function evictThrough(stmt: HistoryStatements, topic: string, pos: number): number | undefined {
  const { m } = stmt.maxPosOfTopicThrough.get(topic, pos) as { m: number | null };
  if (m === null) return undefined;
  const { changes } = stmt.deleteTopicThrough.run(topic, pos);
  const left = stmt.markEvicted.get(changes, m, topic) as
    | { count: number; evicted_through: number }
    | undefined;
  return left && left.count <= 0 ? left.evicted_through : undefined;
}
