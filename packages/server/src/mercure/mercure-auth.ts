import type { Principal } from '../auth/authorizer.js';
import { buildVerifier, type Verifier } from '../auth/jwt-verifier.js';
import { MAX_TOKEN_LENGTH, readCookie } from '../auth/token-source.js';
import { HubError } from '../core/errors.js';
import { sha256 } from '../core/node-builtins.js';
import type { RevocationStore } from '../engines/engine.js';
import type { HubRequest } from '../http/hub-request.js';
import type { MercureOptions } from './mercure-options.js';
import { compileSelector, type TopicSelector } from './selector.js';

/** Where a Mercure token came from. */
export type MercureTokenSource = 'header' | 'query' | 'cookie';

/** A verified Mercure token. */
export interface MercureCredentials {
  readonly principal: Principal;
  /** `mercure.publish`, compiled; undefined when the claim is absent. */
  readonly publish: readonly TopicSelector[] | undefined;
  /** `mercure.subscribe`, compiled; undefined when the claim is absent. */
  readonly subscribe: readonly TopicSelector[] | undefined;
  /** `mercure.payload`, shown in subscription events. */
  readonly payload: unknown;
  readonly source: MercureTokenSource;
}

/** The query parameter carrying a token (draft-dunglas-mercure-07, "URI Query Parameter"). */
export const AUTHORIZATION_PARAM = 'authorization';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="mercure"' };
const INVALID = { 'www-authenticate': 'Bearer realm="mercure", error="invalid_token"' };

/** Most selectors in one `mercure.publish` or `mercure.subscribe` claim. */
const MAX_CLAIM_SELECTORS = 256;

// `?authorization=` is taken off the URL before anything can log it; its value waits here.
const stashed = new WeakMap<HubRequest, string>();

/** Takes `?authorization=` off the request URL (the hub does it for every Mercure request). */
export function stripAuthorizationParam(req: HubRequest): void {
  const params = req.url.searchParams;
  if (!params.has(AUTHORIZATION_PARAM)) return;
  stashed.set(req, params.get(AUTHORIZATION_PARAM) ?? '');
  params.delete(AUTHORIZATION_PARAM);
}

function selectorList(raw: unknown, claim: string): TopicSelector[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_CLAIM_SELECTORS || !raw.every((s) => typeof s === 'string')) {
    throw new HubError(
      401,
      'invalid-token',
      `The token's "mercure.${claim}" claim must be an array of at most ${MAX_CLAIM_SELECTORS} topic selectors (strings).`,
      { claim: `mercure.${claim}` },
      INVALID,
    );
  }
  const selectors = (raw as string[]).map(compileSelector);
  const over = selectors.find((s) => s.refused !== undefined);
  if (over) {
    throw new HubError(
      401,
      'invalid-token',
      `The token's "mercure.${claim}" claim holds the selector "${over.source.slice(0, 60)}", which the hub does not accept: ${over.refused}. Issue tokens with simpler templates.`,
      { claim: `mercure.${claim}` },
      INVALID,
    );
  }
  return selectors;
}

/**
 * Mercure authentication: finds the token (the `Authorization` header, else `?authorization=`,
 * else the cookie, as the protocol orders them), verifies it with the publisher's or the
 * subscriber's key, and reads the `mercure` claim.
 */
export class MercureAuth {
  readonly cookieName: string;
  readonly anonymous: boolean;
  private readonly verifyPublisher: Verifier | undefined;
  private readonly verifySubscriber: Verifier | undefined;

  constructor(
    o: MercureOptions,
    private readonly revocations: RevocationStore | undefined,
  ) {
    this.cookieName = o.cookieName ?? 'mercureAuthorization';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.cookieName)) {
      throw new RangeError(`Mercure option cookieName "${this.cookieName}" is not a valid cookie name.`);
    }
    this.anonymous = o.anonymous ?? false;
    this.verifyPublisher = o.publisherJwt
      ? buildVerifier(o.publisherJwt, [], 'Mercure option publisherJwt')
      : undefined;
    const sub = o.subscriberJwt ?? o.publisherJwt;
    this.verifySubscriber = sub
      ? buildVerifier(
          sub,
          [],
          o.subscriberJwt ? 'Mercure option subscriberJwt' : 'Mercure option publisherJwt',
        )
      : undefined;
  }

  /** The request's token and where it came from; undefined when it has none. */
  find(req: HubRequest): { token: string; source: MercureTokenSource } | undefined {
    const header = req.header('authorization');
    let found: { token: string; source: MercureTokenSource } | undefined;
    if (header !== undefined) {
      const m = /^Bearer[ \t]+(\S*)[ \t]*$/i.exec(header);
      if (!m) {
        throw new HubError(
          401,
          'unauthorized',
          'The Authorization header must be "Bearer <JWT>"; other schemes are not accepted.',
          { source: 'header' },
          CHALLENGE,
        );
      }
      found = { token: m[1] ?? '', source: 'header' };
    } else {
      const q = stashed.get(req) ?? req.url.searchParams.get(AUTHORIZATION_PARAM) ?? undefined;
      if (q !== undefined) found = { token: q, source: 'query' };
      else {
        const c = readCookie(req.header('cookie'), this.cookieName);
        if (c !== undefined) found = { token: c, source: 'cookie' };
      }
    }
    if (!found) return undefined;
    if (found.token.length === 0) {
      throw new HubError(
        401,
        'unauthorized',
        `The ${found.source} token is empty; send a JWT or leave it out.`,
        {
          source: found.source,
        },
      );
    }
    if (found.token.length > MAX_TOKEN_LENGTH) {
      throw new HubError(
        401,
        'invalid-token',
        `The token is ${found.token.length} characters long; tokens are at most ${MAX_TOKEN_LENGTH}.`,
        { source: found.source, limit: MAX_TOKEN_LENGTH },
        INVALID,
      );
    }
    return found;
  }

  /**
   * A subscriber's credentials; undefined for an anonymous subscriber.
   * @throws HubError 401 when the token is missing (and anonymous subscribers are not allowed) or
   *   invalid.
   */
  async subscriber(req: HubRequest): Promise<MercureCredentials | undefined> {
    const found = this.find(req);
    if (!found) {
      if (this.anonymous) return undefined;
      throw new HubError(
        401,
        'unauthorized',
        this.verifySubscriber
          ? `This hub requires subscribers to authenticate; send a JWT as "Authorization: Bearer <JWT>", the ${this.cookieName} cookie or ?authorization=<JWT>.`
          : 'This hub accepts anonymous subscribers only and has them turned off; start it with anonymous subscribers or a subscriber key.',
        undefined,
        CHALLENGE,
      );
    }
    if (!this.verifySubscriber) {
      throw new HubError(
        401,
        'invalid-token',
        'This hub has no subscriber key, so it cannot verify tokens; subscribe without one (public updates only).',
        undefined,
        INVALID,
      );
    }
    return this.credentials(await this.verifySubscriber(found.token), found.token, found.source);
  }

  /**
   * A publisher's credentials.
   * @throws HubError 401 when the token is missing or invalid.
   */
  async publisher(req: HubRequest): Promise<MercureCredentials> {
    const found = this.find(req);
    if (!this.verifyPublisher) {
      throw new HubError(
        401,
        'unauthorized',
        'This hub has no Mercure publisher key, so nobody can publish through /.well-known/mercure; configure one (publisherJwt, --mercure-publisher-jwt-key).',
        undefined,
        CHALLENGE,
      );
    }
    if (!found) {
      throw new HubError(
        401,
        'unauthorized',
        'Publishing requires a JWT with a "mercure.publish" claim, as "Authorization: Bearer <JWT>".',
        undefined,
        CHALLENGE,
      );
    }
    return this.credentials(await this.verifyPublisher(found.token), found.token, found.source);
  }

  private async credentials(
    payload: Record<string, unknown>,
    token: string,
    source: MercureTokenSource,
  ): Promise<MercureCredentials> {
    const claim = payload.mercure;
    if (claim !== undefined && (typeof claim !== 'object' || claim === null || Array.isArray(claim))) {
      throw new HubError(
        401,
        'invalid-token',
        'The token\'s "mercure" claim must be an object such as {"subscribe":["https://example.com/books/{id}"]}.',
        { claim: 'mercure' },
        INVALID,
      );
    }
    const m = (claim ?? {}) as Record<string, unknown>;
    const tokenId =
      typeof payload.jti === 'string' && payload.jti.length > 0
        ? payload.jti
        : `sha256:${sha256(token, 'base64url', 'Keying a Mercure token')}`;
    if (this.revocations && (await this.revocations.isRevoked(`jti:${tokenId}`))) {
      throw new HubError(
        401,
        'token-revoked',
        'This token was logged out by the server; get a new one.',
        undefined,
        INVALID,
      );
    }
    const sub = typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub : undefined;
    const principal: Principal = {
      user: sub,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
      claims: payload,
      tokenId,
    };
    return {
      principal,
      publish: selectorList(m.publish, 'publish'),
      subscribe: selectorList(m.subscribe, 'subscribe'),
      payload: m.payload,
      source,
    };
  }
}
