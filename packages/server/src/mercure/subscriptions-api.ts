import { HubError } from '../core/errors.js';
import { type HubRequest, type HubResponse, json } from '../http/hub-request.js';
import { bad } from './mercure-checks.js';
import type { MercureFace } from './mercure-face.js';
import { SUBSCRIPTIONS_PATH } from './mercure-options.js';
import { anyMatch } from './selector.js';
import {
  type ActiveSubscriptions,
  MERCURE_CONTEXT,
  type SubscriptionEntry,
  subscriptionDocument,
} from './subscriptions.js';

/** The `lastEventID` of subscription documents: the id at the head of history, or `earliest`. */
async function lastEventIdNow(face: MercureFace): Promise<string> {
  const store = face.host.engine.store;
  const head = await store.head();
  return head === '0' ? 'earliest' : store.idAt(head);
}

/**
 * `GET /.well-known/mercure/subscriptions{/topic}{/subscriber}`: the active subscriptions as
 * JSON-LD, for a token whose `mercure.subscribe` matches the URL.
 */
export async function subscriptionsApi(
  face: MercureFace,
  subs: ActiveSubscriptions,
  req: HubRequest,
): Promise<HubResponse> {
  const auth = face.auth;
  const creds = await auth.subscriber(req);
  if (!creds) {
    throw new HubError(
      401,
      'unauthorized',
      'The subscriptions API requires a JWT whose "mercure.subscribe" claim matches the requested URL.',
      undefined,
      { 'www-authenticate': 'Bearer realm="mercure"' },
    );
  }
  if (!creds.subscribe || !anyMatch(creds.subscribe, [req.path])) {
    throw new HubError(
      403,
      'forbidden',
      `The token's "mercure.subscribe" claim does not match ${req.path}; add a selector such as ${SUBSCRIPTIONS_PATH}{/topic}{/subscriber}.`,
    );
  }
  const parts = req.path.slice(SUBSCRIPTIONS_PATH.length).split('/').slice(1);
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new HubError(404, 'not-found', `There is nothing at ${req.path}.`);
  }
  let topic: string | undefined;
  let subscriber: string | undefined;
  try {
    topic = parts[0] === undefined ? undefined : decodeURIComponent(parts[0]);
    subscriber = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
  } catch {
    throw bad(`${req.path} is not correctly percent-encoded.`);
  }
  const lastEventID = await lastEventIdNow(face);
  const ld = { 'content-type': 'application/ld+json; charset=utf-8', 'cache-control': 'must-revalidate' };
  const all = subs.list();
  if (subscriber !== undefined) {
    const e = all.find((x) => x.topic === topic && x.subscriber === subscriber);
    if (!e) throw new HubError(404, 'not-found', `No active subscription of ${subscriber} to ${topic}.`);
    return { ...json(200, { ...subscriptionDocument(e, true, true), lastEventID }), headers: ld };
  }
  const list: SubscriptionEntry[] = topic === undefined ? all : all.filter((x) => x.topic === topic);
  return {
    ...json(200, {
      '@context': MERCURE_CONTEXT,
      id: req.path,
      type: 'Subscriptions',
      lastEventID,
      subscriptions: list.map((e) => subscriptionDocument(e, true, false)),
    }),
    headers: ld,
  };
}
