import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { HubError } from '../core/errors.js';
import { resolveAuthOptions } from './auth-options.js';
import { readTokenClaims } from './token-claims.js';

const settings = resolveAuthOptions({ jwt: { secret: 'x'.repeat(32) } });
const nowS = Math.floor(Date.now() / 1000);

function read(payload: JWTPayload, token = 'a.b.c') {
  return readTokenClaims({ iat: nowS, exp: nowS + 600, ...payload }, token, settings);
}

function refusal(payload: JWTPayload): HubError {
  try {
    read(payload);
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('readTokenClaims', () => {
  it('reads the user, tenant and session, and dates the token in ms', () => {
    const c = read({ sub: 'alice', tenant: 'acme', sid: 's1', jti: 'j1' });
    expect(c).toEqual({
      sub: 'alice',
      tenant: 'acme',
      session: 's1',
      tokenId: 'j1',
      issuedAt: nowS * 1000,
      expiresAt: (nowS + 600) * 1000,
    });
  });

  it('names a token without jti by its hash', () => {
    expect(read({ sub: 'alice' }, 'h.p.s').tokenId).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(read({ sub: 'alice' }, 'h.p.s').tokenId).not.toBe(read({ sub: 'alice' }, 'h.p.t').tokenId);
  });

  it('refuses empty or non-string identity claims, naming the claim', () => {
    expect(refusal({ sub: '' }).detail).toEqual({ claim: 'sub' });
    expect(refusal({ sub: 'a', tenant: 7 }).detail).toEqual({ claim: 'tenant' });
    expect(refusal({ sub: 'a', sid: '' }).detail).toEqual({ claim: 'sid' });
  });

  it('refuses a token issued in the future or living longer than maxTokenLifetimeMs', () => {
    expect(refusal({ sub: 'a', iat: nowS + 3600, exp: nowS + 7200 }).message).toMatch(
      /"iat" lies in the future/,
    );
    const long = refusal({ sub: 'a', exp: nowS + 25 * 3600 });
    expect(long.status).toBe(401);
    expect(long.message).toMatch(/valid for 25 h .* longer than this hub accepts \(24 h\)/);
  });
});
