import type { GrantPatterns } from './auth-options.js';
import { expandCommandGrant, expandGrantList, type PlaceholderValues, type TopicGrant } from './grant.js';
import { invalidToken } from './invalid-token.js';

/**
 * The grant of a user token: its `tidings` claim (or `defaultGrant` when the token has none),
 * with `{sub}` and `{tenant}` filled in.
 * @throws HubError 401 naming the claim when `tidings` is no object or one of its patterns is
 *   unusable.
 */
export function tokenGrant(
  claim: unknown,
  defaultGrant: GrantPatterns | undefined,
  values: PlaceholderValues,
  tenantRoot: string | false,
): TopicGrant {
  let patterns: GrantPatterns | undefined;
  if (claim === undefined) patterns = defaultGrant;
  else if (typeof claim === 'object' && claim !== null && !Array.isArray(claim))
    patterns = claim as GrantPatterns;
  else
    throw invalidToken(
      'The token\'s "tidings" claim must be an object such as {"subscribe":["user/{sub}"]}.',
      { claim: 'tidings' },
    );
  const subscribe = expandGrantList(patterns?.subscribe, values);
  if (typeof subscribe === 'string') throw invalidToken(subscribe, { claim: 'tidings.subscribe' });
  const publish = expandGrantList(patterns?.publish, values);
  if (typeof publish === 'string') throw invalidToken(publish, { claim: 'tidings.publish' });
  const commands = expandCommandGrant(patterns?.commands, values);
  if (typeof commands === 'string') throw invalidToken(commands, { claim: 'tidings.commands' });
  return { subscribe, publish, commands, tenant: values.tenant, tenantRoot };
}
