import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HubRequest } from '../../http/hub-request.js';

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(req: HubRequest): string | undefined {
  const h = req.header('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m?.[1];
}

/** Compares two secrets in time independent of where they differ (hashing first equalises lengths). */
export function secretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * The value of the admin session cookie for `token`: derived, so the cookie never holds the token
 * itself, and deterministic, so every node sharing the token accepts it.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('tidings-admin-session-v1').digest('base64url');
}

/** One cookie's value from the `Cookie` header. */
export function cookie(req: HubRequest, name: string): string | undefined {
  const h = req.header('cookie');
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
