import { secretEquals } from '../../auth/secret-equals.js';
import { bearerToken, readCookie } from '../../auth/token-source.js';
import { HubError } from '../../core/errors.js';
import { requireBuiltin } from '../../core/node-builtins.js';
import type { HubRequest } from '../../http/hub-request.js';

/** The cookie that keeps a browser signed in to the admin page. */
export const ADMIN_COOKIE = 'tidings_admin';

/**
 * Who holds the admin token: a request carrying it (`Authorization: Bearer`) or the session
 * cookie derived from it.
 */
export class AdminSession {
  /**
   * The value of the session cookie: derived, so the cookie never holds the token itself, and
   * deterministic, so every node sharing the token accepts it.
   */
  readonly cookieValue: string;

  constructor(private readonly token: string) {
    this.cookieValue = requireBuiltin('node:crypto', 'The admin page')
      .createHmac('sha256', token)
      .update('tidings-admin-session-v1')
      .digest('base64url');
  }

  /** Whether `given` is the admin token (compared in constant time). */
  isToken(given: string): boolean {
    return secretEquals(given, this.token);
  }

  /** Whether the request carries the admin token (header) or the admin session cookie. */
  authorized(req: HubRequest): boolean {
    const bearer = bearerToken(req.header('authorization'));
    if (bearer) return this.isToken(bearer);
    const c = readCookie(req.header('cookie'), ADMIN_COOKIE);
    return c !== undefined && secretEquals(c, this.cookieValue);
  }

  /** @throws HubError 401 saying how to sign in, unless the request is {@link authorized}. */
  require(req: HubRequest, base: string): void {
    if (this.authorized(req)) return;
    throw new HubError(
      401,
      'unauthorized',
      `This endpoint needs the admin token: open ${base}/admin?token=<admin token> in a browser once, or send "Authorization: Bearer <admin token>".`,
      undefined,
      { 'www-authenticate': 'Bearer realm="tidings-admin"' },
    );
  }
}
