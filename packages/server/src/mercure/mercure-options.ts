import type { JwtOptions } from '../auth/jwt-authorizer.js';

/**
 * The Mercure face of a hub (`createHub({ mercure: {...} })`, `tidings serve --mercure`): the
 * Mercure protocol (draft-dunglas-mercure-07, as the Mercure.rocks hub 0.x speaks it) on
 * `/.well-known/mercure`, over the hub's own history, engines and limits.
 *
 * @see docs/migrating-from-mercure.md for the mapping of the Mercure hub's settings.
 */
export interface MercureOptions {
  /**
   * How publishers' tokens are verified (Mercure's `publisher_jwt`): an HS256 `secret` of at
   * least 32 bytes, an RSA/EC `publicKey` in PEM, or a local `jwks`, with optional `algorithms`,
   * `issuer`, `audience`. Tokens need a `mercure.publish` claim listing topic selectors; `exp` and
   * `sub` are optional, as in Mercure.
   * @defaultValue none: nobody can publish through Mercure (the hub's own `POST /publish` still works)
   */
  publisherJwt?: JwtOptions | undefined;
  /**
   * How subscribers' tokens are verified (Mercure's `subscriber_jwt`). Their `mercure.subscribe`
   * claim lists the selectors of the private updates they may receive; `mercure.payload` is shown
   * in subscription events.
   * @defaultValue `publisherJwt`
   */
  subscriberJwt?: JwtOptions | undefined;
  /**
   * Lets subscribers without a token connect (Mercure's `anonymous`); they receive public updates
   * only. A token that is present but invalid is refused either way.
   * @defaultValue false (`tidings serve --dev` turns it on)
   */
  anonymous?: boolean | undefined;
  /** Cookie that may carry the token (Mercure's `cookie_name`). @defaultValue "mercureAuthorization" */
  cookieName?: string | undefined;
  /**
   * Origins allowed to publish with the cookie (Mercure's `publish_origins`); `"*"` for any. A
   * cookie-authenticated publish from any other origin, or without `Origin`/`Referer`, gets 403.
   * Publishing with an `Authorization` header or `?authorization=` is not affected.
   * @defaultValue none
   */
  publishOrigins?: readonly string[] | undefined;
  /**
   * Active subscriptions (Mercure's `subscriptions`): a private update on
   * `/.well-known/mercure/subscriptions/{topic}/{subscriber}` whenever a subscription starts or
   * ends, and the `GET /.well-known/mercure/subscriptions[/{topic}[/{subscriber}]]` API, across
   * every node of the engine.
   * @defaultValue false
   */
  subscriptions?: boolean | undefined;
  /**
   * How often each node re-announces its subscriptions to the others (the API forgets the
   * subscriptions of a node not heard from for three intervals, e.g. one that crashed).
   * @defaultValue 30000
   */
  subscriptionsRefreshMs?: number | undefined;
  /** Answer `GET /` with a small welcome page (browsers and tools probe it). @defaultValue true */
  welcomePage?: boolean | undefined;
}

/**
 * Most URI templates in one Mercure subscription (selectors with an expression); more get `400
 * too-many-templates`. Each distinct template is matched against every update.
 */
export const MAX_TEMPLATES_PER_SUBSCRIPTION = 16;

/** Longest Mercure topic or selector accepted, in characters. */
export const MAX_MERCURE_TOPIC_LENGTH = 2048;

/** The path of the Mercure hub, relative to the hub's `basePath`. */
export const MERCURE_PATH = '/.well-known/mercure';

/** The prefix of the active-subscriptions API and of subscription topics. */
export const SUBSCRIPTIONS_PATH = `${MERCURE_PATH}/subscriptions`;
