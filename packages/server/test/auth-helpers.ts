import { type JWTPayload, SignJWT } from 'jose';
import type { Logger } from '../src/index.js';

/** A 48-byte HS256 secret as text. */
export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** The hub's publisher key in these tests. */
export const PUBLISHER_KEY = 'pk-0123456789abcdef0123456789abcdef';

/** Options for {@link mint}. */
export interface MintOptions {
  /** Seconds from now until `exp`; negative for an expired token. @defaultValue 3600 */
  expIn?: number;
  /** Seconds from now of `nbf`. */
  nbfIn?: number;
  aud?: string;
  iss?: string;
  jti?: string;
  alg?: string;
  /** Key to sign with. @defaultValue the HS256 {@link SECRET} */
  key?: Parameters<SignJWT['sign']>[0];
  kid?: string;
  /** Leave `sub` out even if the claims have none. */
  noSub?: boolean;
}

/** Signs a real JWT for the tests. */
export async function mint(claims: JWTPayload, o: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', ...(o.kid && { kid: o.kid }) })
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expIn ?? 3600));
  if (o.nbfIn !== undefined) jwt.setNotBefore(now + o.nbfIn);
  if (o.aud) jwt.setAudience(o.aud);
  if (o.iss) jwt.setIssuer(o.iss);
  if (o.jti) jwt.setJti(o.jti);
  return jwt.sign(o.key ?? new TextEncoder().encode(SECRET));
}

/** A logger that keeps every line as JSON text, for checking what reaches logs. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (obj: object, msg?: string) => {
    lines.push(
      JSON.stringify({ level, msg, ...obj }, (_k, v) =>
        v instanceof Error ? { message: v.message, stack: v.stack } : v,
      ),
    );
  };
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

/** GETs `/events` and returns status, headers and parsed JSON body of a refusal (closing any stream). */
export async function subscribeStatus(
  base: string,
  topics: string[],
  opts: { token?: string; headers?: Record<string, string>; rawQuery?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
): Promise<{ status: number; body: any; headers: Headers }> {
  const u = new URL('/events', base);
  for (const t of topics) u.searchParams.append('topic', t);
  if (opts.token !== undefined) u.searchParams.set('token', opts.token);
  const href = opts.rawQuery !== undefined ? `${base}/events?${opts.rawQuery}` : u.href;
  const abort = new AbortController();
  const res = await fetch(href, { headers: opts.headers, signal: abort.signal });
  if (res.status === 200) {
    abort.abort();
    return { status: 200, body: undefined, headers: res.headers };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: res.status, body, headers: res.headers };
}
