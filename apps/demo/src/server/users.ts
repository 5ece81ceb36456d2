/** The demo's users and the tokens the backend issues them: the hub verifies the same secret. */
import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { APP_TOPICS } from '../topics.js';

export interface DemoUser {
  readonly id: string;
  readonly name: string;
  readonly role: 'admin' | 'member';
  readonly title: string;
}

/** Who can sign in. Alice is the admin (she may force a logout). */
export const USERS: readonly DemoUser[] = [
  { id: 'alice', name: 'Alice Martin', role: 'admin', title: 'Coach · NOC lead' },
  { id: 'bob', name: 'Bob Chen', role: 'member', title: 'Coachee · Platform engineer' },
  { id: 'carol', name: 'Carol Diaz', role: 'member', title: 'Network operator' },
];

/** What every demo token may read, and the commands it may send (the job monitor's). */
export const GRANT = {
  subscribe: [...APP_TOPICS, 'user/{sub}/**'],
  commands: ['job.*'],
};

/** Tokens live for an hour: the client asks for a fresh one when the hub says it expired. */
export const TOKEN_TTL_S = 3600;

export function findUser(id: unknown): DemoUser | undefined {
  return USERS.find((u) => u.id === id);
}

/** Signs a token for `user` (HS256, `sid` = a fresh session id). */
export async function issueToken(secret: Uint8Array, user: DemoUser, sid?: string): Promise<string> {
  // `iat_ms`: a forced logout refuses tokens issued before it to the millisecond, not the second.
  return new SignJWT({
    name: user.name,
    role: user.role,
    sid: sid ?? crypto.randomUUID(),
    iat_ms: Date.now(),
    tidings: GRANT,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(`${TOKEN_TTL_S}s`)
    .sign(secret);
}

/** The verified claims of a token the backend issued, or undefined. */
export async function verifyToken(
  secret: Uint8Array,
  token: string,
  /** Seconds past `exp` still accepted (for trading an expired token for a fresh one). */
  graceS = 0,
): Promise<{ user: DemoUser; iatMs: number; sid: string } | undefined> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], clockTolerance: graceS });
    const user = findUser(payload.sub);
    if (!user || typeof payload.iat_ms !== 'number' || typeof payload.sid !== 'string') return undefined;
    return { user, iatMs: payload.iat_ms, sid: payload.sid };
  } catch {
    return undefined;
  }
}

/**
 * The key of session tokens, derived from the secret so the hub (which verifies with the secret
 * itself) can never take a session token for a hub token.
 */
function sessionKey(secret: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update('tidings-demo-session').digest());
}

/** Signs the backend session of `user` (the session cookie's value). */
export async function issueSessionToken(secret: Uint8Array, user: DemoUser, ttlS: number): Promise<string> {
  return new SignJWT({ iat_ms: Date.now(), sid: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'demo-session' })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`)
    .sign(sessionKey(secret));
}

/** The verified claims of a session token, or undefined. */
export async function verifySessionToken(
  secret: Uint8Array,
  token: string,
): Promise<{ user: DemoUser; iatMs: number; sid: string } | undefined> {
  return verifyToken(sessionKey(secret), token);
}
