import { HubError } from '../core/errors.js';
import type { HubRequest } from './hub-request.js';

/**
 * Which browser origins may call the hub across origins. Browsers only let a page on another
 * origin read the hub's answers (and send cookies) when the hub names that origin.
 */
export interface CorsOptions {
  /**
   * Allowed origins, exactly as browsers send them (`https://app.example.com`, scheme and port
   * included, no trailing slash). `"*"` allows any origin, but never with credentials.
   */
  origins: readonly string[];
  /**
   * Whether listed origins may send credentials (cookies, `EventSource` `withCredentials`). Never
   * granted to origins matched only by `"*"`.
   * @defaultValue true
   */
  credentials?: boolean | undefined;
  /** How long browsers may cache a preflight answer, in seconds. @defaultValue 600 */
  maxAgeS?: number | undefined;
}

const ALLOW_METHODS = 'GET, POST, OPTIONS';
const ALLOW_HEADERS = 'authorization, content-type, last-event-id, cache-control';

/** Decides CORS headers and refuses cross-site requests that ride on cookies. */
export class CorsPolicy {
  private readonly listed: Set<string>;
  private readonly any: boolean;
  private readonly credentials: boolean;
  private readonly maxAgeS: number;

  constructor(o: CorsOptions | undefined) {
    const origins = o?.origins ?? [];
    for (const x of origins) {
      if (x === '*') continue;
      let u: URL;
      try {
        u = new URL(x);
      } catch {
        throw new RangeError(`CORS origin "${x}" is not an origin; write it as https://app.example.com.`);
      }
      if (u.origin !== x) {
        throw new RangeError(
          `CORS origin "${x}" should be written "${u.origin}" (scheme, host and port only).`,
        );
      }
    }
    this.listed = new Set(origins.filter((x) => x !== '*'));
    this.any = origins.includes('*');
    this.credentials = o?.credentials ?? true;
    this.maxAgeS = o?.maxAgeS ?? 600;
  }

  /** Whether the request comes from a page on the hub's own host (as far as the hub can tell). */
  static sameOrigin(req: HubRequest, origin: string): boolean {
    const host = req.header('host');
    if (!host) return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  /** Whether `origin` may make cross-origin requests. */
  allows(origin: string): boolean {
    return this.listed.has(origin) || this.any;
  }

  /** Response headers for a request from `origin` (none for disallowed or absent origins). */
  headersFor(origin: string | undefined): Record<string, string> {
    const h: Record<string, string> = { vary: 'Origin' };
    if (origin === undefined) return this.listed.size > 0 ? h : {};
    if (this.listed.has(origin)) {
      h['access-control-allow-origin'] = origin;
      if (this.credentials) h['access-control-allow-credentials'] = 'true';
      return h;
    }
    if (this.any) return { 'access-control-allow-origin': '*' };
    return h;
  }

  /** The answer to a preflight `OPTIONS` request. */
  preflight(req: HubRequest): { status: number; headers: Record<string, string> } {
    const origin = req.header('origin');
    if (origin === undefined || !this.allows(origin)) {
      throw this.refusal(origin ?? '(none)');
    }
    return {
      status: 204,
      headers: {
        ...this.headersFor(origin),
        'access-control-allow-methods': ALLOW_METHODS,
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-max-age': String(this.maxAgeS),
      },
    };
  }

  /** The 403 for an origin the allow-list does not name. */
  refusal(origin: string): HubError {
    return new HubError(
      403,
      'origin-not-allowed',
      `Requests from the origin ${origin} are not allowed; add it to the hub's CORS origins (--cors-origin) if it is yours.`,
      { origin },
    );
  }

  /**
   * Whether a cookie-authenticated request from `origin` must be refused: a page on another site
   * could otherwise make the browser send the user's cookie (cross-site request forgery).
   * Origins listed explicitly are trusted with credentials; `"*"` never is.
   */
  refusesCredentialed(req: HubRequest, origin: string | undefined): boolean {
    if (origin === undefined) return false;
    if (this.listed.has(origin) && this.credentials) return false;
    return !CorsPolicy.sameOrigin(req, origin);
  }
}
