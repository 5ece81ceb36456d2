import { publisherKey } from '../auth/publisher-key.js';
import { HubError } from '../core/errors.js';
import type { ParsedPublish } from '../core/parse-publish.js';
import type { HubRequest, HubResponse } from '../http/hub-request.js';
import { isReservedMercureTopic } from './mercure-checks.js';
import { DEFAULT_TYPE } from './mercure-connection.js';
import type { MercureFace } from './mercure-face.js';
import { MERCURE_PATH } from './mercure-options.js';
import { parseUpdate } from './parse-update.js';
import { anyMatch } from './selector.js';
import { type MercureMeta, storageTopicOf } from './topic-mapping.js';

/**
 * `POST /.well-known/mercure`: a form-encoded update → `200` with its id as plain text. The token
 * is checked, and the publish rate, before the body is read.
 */
export async function publishRoute(face: MercureFace, req: HubRequest): Promise<HubResponse> {
  const { host, auth } = face;
  // Credentials first: an unauthenticated flood of bodies costs no parsing.
  const creds = await auth.publisher(req);
  if (creds.source === 'cookie') checkPublishOrigin(face, req);
  // A token that may publish nowhere, or has no room in its rate bucket, is refused before
  // the body is read, like on POST /publish.
  if (!creds.publish || creds.publish.length === 0) {
    throw new HubError(
      403,
      'forbidden',
      creds.publish
        ? 'The token\'s "mercure.publish" claim is empty, so it may not publish; list topic selectors in it (["*"] for all).'
        : 'The token has no "mercure.publish" claim, so it may not publish; add one listing topic selectors (["*"] for all).',
    );
  }
  await host.access.checkPublishRate(creds.principal, req, 0);
  const ctype = req.header('content-type');
  if (ctype && !/^application\/x-www-form-urlencoded\b/i.test(ctype)) {
    throw new HubError(
      415,
      'unsupported-media-type',
      `Mercure updates are sent as application/x-www-form-urlencoded, not ${ctype.split(';')[0]}.`,
    );
  }
  const update = parseUpdate(await req.text(host.options.maxBodyBytes));
  for (const t of update.topics) {
    if (isReservedMercureTopic(t)) {
      throw new HubError(
        403,
        'forbidden',
        `The topic "${t}" lies under ${MERCURE_PATH}/, which the hub keeps for its own updates (subscription events).`,
        { topic: t },
      );
    }
  }
  const grant = creds.publish;
  const denied = update.topics.filter((t) => !grant || !anyMatch(grant, [t]));
  if (denied.length > 0) {
    throw new HubError(
      403,
      'forbidden',
      grant
        ? `The token's "mercure.publish" claim does not allow the topic "${denied[0]}"; every topic of an update, alternates included, must match one of its selectors.`
        : 'The token has no "mercure.publish" claim, so it may not publish; add one listing topic selectors (["*"] for all).',
      { topics: denied },
    );
  }
  await host.access.checkPublishRate(creds.principal, req, 1);
  const meta: MercureMeta = {
    topics: update.topics,
    ...(update.private && { private: true as const }),
    ...(update.retry !== undefined && { retry: update.retry }),
  };
  const dataJson = JSON.stringify(update.data);
  const size = Buffer.byteLength(dataJson);
  if (size > host.options.maxPayloadBytes) {
    throw new HubError(
      413,
      'payload-too-large',
      `The update's data is ${size} bytes (as stored); the limit is ${host.options.maxPayloadBytes}. Send a reference (an IRI) instead of the whole resource, or raise maxPayloadBytes.`,
      { limit: host.options.maxPayloadBytes, size },
    );
  }
  const item: ParsedPublish = {
    topic: storageTopicOf(update.topics),
    type: update.type ?? DEFAULT_TYPE,
    id: update.id,
    dataJson,
    meta: { mercure: meta },
  };
  // Ids are idempotent per Mercure publisher (its `sub`) and topic: a 409 or a retry answer only
  // ever concerns this publisher's own update.
  const [result] = await host.publishParsed([item], publisherKey(creds.principal, 'mercure'));
  if (!result) throw new Error('the store returned no result');
  if (result.duplicate && !sameUpdate(result.event, item)) {
    throw new HubError(
      409,
      'duplicate-id',
      `The id "${update.id}" already belongs to another update; ids identify one update, so choose a new one (a retry of the same update is accepted).`,
      { id: update.id },
    );
  }
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: result.event.id };
}

function checkPublishOrigin(face: MercureFace, req: HubRequest): void {
  const { auth, publishOrigins } = face;
  let origin = req.header('origin');
  if (origin === undefined) {
    const referer = req.header('referer');
    if (referer) {
      try {
        origin = new URL(referer).origin;
      } catch {
        // no usable origin
      }
    }
  }
  if (origin === undefined) {
    throw new HubError(
      403,
      'origin-not-allowed',
      'A publish authenticated by cookie must come from a browser page (with an Origin or Referer header); servers send the token as "Authorization: Bearer <JWT>".',
    );
  }
  if (!publishOrigins.has('*') && !publishOrigins.has(origin)) {
    throw new HubError(
      403,
      'origin-not-allowed',
      `Publishing with the ${auth.cookieName} cookie from ${origin} is not allowed; add the origin to the hub's publish origins (publishOrigins, --mercure-publish-origin) if it is yours.`,
      { origin },
    );
  }
}

/** Whether a stored update is the same as a new one (a publisher retrying with the same id). */
function sameUpdate(
  ev: { topic: string; type: string; dataJson: string; meta?: unknown },
  item: ParsedPublish,
): boolean {
  return (
    ev.topic === item.topic &&
    ev.type === item.type &&
    ev.dataJson === item.dataJson &&
    JSON.stringify((ev.meta as { mercure?: unknown } | undefined)?.mercure) ===
      JSON.stringify(item.meta?.mercure)
  );
}
