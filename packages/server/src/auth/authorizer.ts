import type { HubRequest } from '../http/hub-request.js';

/** Who is on the other end of a request, as established by an {@link Authorizer}. */
export interface Principal {
  /** User id (the token's `sub`). */
  readonly user?: string | undefined;
  /** Session id, for targeted delivery and forced logout. */
  readonly session?: string | undefined;
  /** Tenant, for isolation. */
  readonly tenant?: string | undefined;
  /** Epoch ms after which the credentials are no longer valid. */
  readonly expiresAt?: number | undefined;
  /** The verified claims, for application hooks. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Identifies the credential itself (a JWT's `jti`, else a hash of the token), so a forced
   * logout can revoke exactly the token in use.
   */
  readonly tokenId?: string | undefined;
  /** Epoch ms when the credential was issued (a JWT's `iat`), if known. */
  readonly issuedAt?: number | undefined;
  /** True for the hub's publisher key: the backend, trusted with every topic. */
  readonly trusted?: boolean | undefined;
}

/** What a subscriber was granted. */
export interface SubscribeGrant {
  readonly principal: Principal;
  /**
   * Checked for every event before it is written (replay and live). Absent means every topic the
   * subscription's patterns match may be read.
   */
  readonly canRead?: ((topic: string) => boolean) | undefined;
}

/**
 * Decides who may subscribe and publish. Methods throw a `HubError` (401, 403, 429…) to refuse.
 *
 * An authorizer sees the request URL with its `?token=` parameter; the hub removes that
 * parameter before routing, so routes, observers and logs never see it (routes that need it call
 * `queryToken(req)`).
 * @see allowAll, the default: anonymous and unrestricted, for development and trusted networks.
 */
export interface Authorizer {
  /** Authorizes a subscription to `patterns` (already validated). */
  authorizeSubscribe(req: HubRequest, patterns: readonly string[]): Promise<SubscribeGrant>;
  /** Authorizes publishing to `topics` (already validated). */
  authorizePublish(req: HubRequest, topics: readonly string[]): Promise<Principal>;
  /**
   * Authorizes an administrative request such as `POST /disconnect`. Absent means such requests
   * are refused with 403.
   */
  authorizeAdmin?(req: HubRequest): Promise<Principal>;
  /**
   * Authorizes calling the command `name` (registered with `hub.onCommand`). Over WebSocket `req`
   * is the upgrade request of the connection; over HTTP, the `POST /commands/{name}` request.
   * Absent means commands are refused with 403.
   */
  authorizeCommand?(req: HubRequest, name: string): Promise<Principal>;
}

/** The authorizer that lets everyone subscribe and publish anonymously. */
export const allowAll: Authorizer = {
  async authorizeSubscribe() {
    return { principal: {} };
  },
  async authorizePublish() {
    return {};
  },
  async authorizeAdmin() {
    return {};
  },
  async authorizeCommand() {
    return {};
  },
};
