import { compilePattern } from '@tidings/protocol';
import { HubError } from '../core/errors.js';
import type { Authorizer, Principal, SubscribeGrant } from './authorizer.js';
import { checkSubscription, grantCanCommand, grantCanPublish } from './grant.js';
import { invalidToken } from './invalid-token.js';
import type { TokenAuthenticator } from './token-authenticator.js';

/** The decisions of the JWT authorizer, made on the grants its authenticator established. */
export interface GrantDecisions {
  /** Subscribe, publish, command and admin decisions: 403 with what the token does allow. */
  readonly authorizer: Authorizer;
  /**
   * Refuses a principal whose grant lets it publish to no topic at all. The publisher key passes.
   * @throws HubError 403.
   */
  checkMayPublish(principal: Principal): void;
}

function describe(list: readonly { source: string }[]): string {
  return list.length === 0 ? 'no topics at all' : list.map((p) => `"${p.source}"`).join(', ');
}

/**
 * Decides what an authenticated request may do: a user's token only what its grant allows, the
 * publisher key everything, and administrative requests only the publisher key.
 * @param hasPublisherKey whether the hub has one, so an admin refusal can say what to configure.
 */
export function grantDecisions(auth: TokenAuthenticator, hasPublisherKey: boolean): GrantDecisions {
  const authorizer: Authorizer = {
    async authorizeSubscribe(req, patterns): Promise<SubscribeGrant> {
      const principal = await auth.authenticate(req);
      const grant = auth.grantOf(principal);
      if (!grant) return { principal }; // the publisher key reads everything
      const check = checkSubscription(
        grant,
        patterns.map((p) => compilePattern(p)),
      );
      const first = check.denied[0];
      if (first !== undefined) {
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow reading "${first}"; it may read ${describe(grant.subscribe)}. Subscribe only to topics it grants, or get a token that grants this one.`,
          { topic: first, topics: check.denied },
        );
      }
      return { principal, canRead: check.canRead };
    },

    async authorizePublish(req, topics): Promise<Principal> {
      const principal = await auth.authenticate(req);
      const grant = auth.grantOf(principal);
      if (!grant) return principal;
      const denied = topics.filter((t) => !grantCanPublish(grant, t));
      const first = denied[0];
      if (first !== undefined) {
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow publishing to "${first}"; it may publish to ${describe(grant.publish)}. Publish from your backend with the publisher key instead.`,
          { topic: first, topics: [...new Set(denied)] },
        );
      }
      return principal;
    },

    async authorizeCommand(req, name): Promise<Principal> {
      const principal = await auth.authenticate(req);
      const grant = auth.grantOf(principal);
      if (!grant) return principal; // the publisher key may call every command
      if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) {
        throw invalidToken(
          `The token expired at ${new Date(principal.expiresAt).toISOString()}; fetch a fresh token and reconnect.`,
          undefined,
          'token-expired',
        );
      }
      if (!grantCanCommand(grant, name)) {
        const allowed = grant.commands ?? [];
        throw new HubError(
          403,
          'forbidden',
          `Your token does not allow the command "${name}"; it may call ${
            allowed.length === 0
              ? 'no commands at all'
              : allowed.map((p) => `"${p.source.replaceAll('/', '.')}"`).join(', ')
          }. Get a token whose tidings.commands claim grants it.`,
          { command: name },
        );
      }
      return principal;
    },

    async authorizeAdmin(req): Promise<Principal> {
      const found = auth.requireToken(req);
      if (auth.isPublisherKey(found)) return { trusted: true };
      throw new HubError(
        403,
        'forbidden',
        hasPublisherKey
          ? 'This request needs the hub\'s publisher key as "Authorization: Bearer <key>"; user tokens may not make it.'
          : "This request needs the hub's publisher key, and none is configured; start the hub with a publisher key.",
      );
    },
  };

  function checkMayPublish(principal: Principal): void {
    const grant = auth.grantOf(principal);
    if (!grant || grant.publish.length > 0) return;
    throw new HubError(
      403,
      'forbidden',
      'Your token does not allow publishing to any topic; publish from your backend with the publisher key, or get a token whose tidings.publish claim grants the topic.',
    );
  }

  return { authorizer, checkMayPublish };
}
