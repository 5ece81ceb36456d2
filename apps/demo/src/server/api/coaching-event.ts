/** The event on `coaching/<session>` that tells who created, updated or deleted an item. */
export function coachingEvent(
  kind: string,
  verb: string,
  item: { id: number; session_id: string },
  by: string,
) {
  return {
    topic: `coaching/${item.session_id}`,
    type: `${kind}_${verb}`,
    data: { id: item.id, coaching_session_id: item.session_id, kind, by, item },
  };
}
