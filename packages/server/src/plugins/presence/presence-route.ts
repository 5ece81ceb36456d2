import { validateTopic } from '@tidings/protocol';
import type { SubscribeGrant } from '../../auth/authorizer.js';
import { HubError } from '../../core/errors.js';
import { isReservedTopic } from '../../core/reserved-topics.js';
import type { PresenceStore } from '../../engines/presence-store.js';
import { type HubRequest, type HubResponse, json } from '../../http/hub-request.js';

/** Decides whether the caller may subscribe to these patterns (the hub's authorizer). */
export type AuthorizeSubscribe = (req: HubRequest, patterns: readonly string[]) => Promise<SubscribeGrant>;

/**
 * `GET /presence?topic=T` → `200 {"topic","connections","users"}`: how many connections (on every
 * node) subscribe to `T`, by name or by a pattern that matches it, and which users they belong
 * to. Only for callers who may read `T`: the authorizer's `authorizeSubscribe` must accept `[T]`
 * and its grant must allow reading `T`.
 */
export function presenceRoute(
  store: PresenceStore,
  authorize: AuthorizeSubscribe,
): (req: HubRequest) => Promise<HubResponse> {
  return async (req) => {
    const asked = req.url.searchParams.getAll('topic');
    if (asked.length !== 1) {
      throw new HubError(
        400,
        'invalid-topic',
        asked.length === 0
          ? 'Name the topic to count, as in /presence?topic=leases.'
          : 'Ask about one topic at a time, as in /presence?topic=leases.',
      );
    }
    const topic = asked[0] as string;
    if (topic.includes('*')) {
      throw new HubError(
        400,
        'invalid-topic',
        `Presence is counted per topic, and "${topic}" is a pattern; ask about one topic, such as "tenant/acme/leases".`,
        { topic },
      );
    }
    const err = validateTopic(topic);
    if (err) throw new HubError(400, 'invalid-topic', err.message, { topic });
    if (isReservedTopic(topic)) {
      throw new HubError(
        400,
        'invalid-topic',
        `"${topic}" is one of the hub's own topics, whose readers are not counted; ask about an application topic.`,
        { topic },
      );
    }
    const grant = await authorize(req, [topic]);
    if (grant.canRead && !grant.canRead(topic)) {
      throw new HubError(
        403,
        'forbidden',
        `You may not read "${topic}", so you cannot see who subscribes to it.`,
        { topic },
      );
    }
    const count = await store.query(topic);
    return json(200, { topic, connections: count.connections, users: count.users });
  };
}
