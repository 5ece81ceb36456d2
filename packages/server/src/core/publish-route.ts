import { publisherKey } from '../auth/publisher-key.js';
import type { AppendResult } from '../engines/history-store.js';
import { type HubRequest, type HubResponse, json } from '../http/hub-request.js';
import { HubError } from './errors.js';
import type { Access } from './hub-plugin.js';
import type { Publisher } from './publisher.js';
import { toEnvelope } from './stored-event.js';

/**
 * `POST /publish`: a JSON event or batch → `201 {"id"}` / `{"ids"}`; a retried id of the same
 * publisher answers `200` with `duplicate`.
 */
export async function publishRoute(
  req: HubRequest,
  publisher: Publisher,
  access: Access,
  maxBodyBytes: number,
): Promise<HubResponse> {
  const ctype = req.header('content-type');
  if (ctype && !/^application\/([\w.+-]*\+)?json\b/i.test(ctype)) {
    throw new HubError(
      415,
      'unsupported-media-type',
      `POST /publish takes application/json, not ${ctype.split(';')[0]}.`,
    );
  }
  const text = await req.text(maxBodyBytes);
  const { items, batch } = publisher.parseBody(text);
  const principal = await access.authorizer.authorizePublish(
    req,
    items.map((i) => i.topic),
  );
  // Supplied ids are idempotent per publisher and topic: a duplicate answer below can only be
  // the caller's own event, and nobody else's id can suppress this publish.
  const results = await publisher.publishParsed(items, publisherKey(principal));
  const anyNew = results.some((r) => !r.duplicate);
  if (!batch) {
    const r = results[0] as AppendResult;
    return r.duplicate
      ? json(200, { id: r.event.id, duplicate: true, event: toEnvelope(r.event) })
      : json(201, { id: r.event.id });
  }
  const duplicates = results.flatMap((r, i) => (r.duplicate ? [i] : []));
  return json(anyNew ? 201 : 200, {
    ids: results.map((r) => r.event.id),
    ...(duplicates.length && { duplicates }),
  });
}
