import { exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub, type HubOptions, memoryStore } from '../src/index.js';
import { mint, PUBLISHER_KEY, SECRET, subscribeStatus } from './auth-helpers.js';
import { type RunningHub, StreamReader, startHub } from './helpers.js';

const running: RunningHub[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.close();
});
async function hub(opts: HubOptions) {
  const h = await startHub(opts);
  running.push(h);
  return h;
}
const grant = { subscribe: ['news'] };
const enc = (s: string) => new TextEncoder().encode(s);

describe('public keys', () => {
  it.each(['RS256', 'ES256'] as const)(
    'verifies %s tokens against a PEM public key, refusing other algorithms and keys',
    async (alg) => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const pem = await exportSPKI(publicKey);
      const h = await hub({ auth: { jwt: { publicKey: pem } } });
      expect(
        (
          await subscribeStatus(h.url, ['news'], {
            token: await mint({ sub: 'u', tidings: grant }, { alg, key: privateKey }),
          })
        ).status,
      ).toBe(200);
      // Algorithm confusion: an HS256 token whose HMAC key is the public key's PEM text.
      const confused = await mint({ sub: 'u', tidings: grant }, { alg: 'HS256', key: enc(pem) });
      const r1 = await subscribeStatus(h.url, ['news'], { token: confused });
      expect(r1.status).toBe(401);
      expect(r1.body.error.message).toMatch(new RegExp(`accepts only ${alg}`));
      const stranger = await generateKeyPair(alg);
      const r2 = await subscribeStatus(h.url, ['news'], {
        token: await mint({ sub: 'u', tidings: grant }, { alg, key: stranger.privateKey }),
      });
      expect(r2.status).toBe(401);
      expect(r2.body.error.message).toMatch(/signature does not verify/);
    },
  );

  it('verifies against a local JWKS by kid, accepting RS256 and ES256 and refusing unknown kids', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' },
      ],
    };
    const h = await hub({ auth: { jwt: { jwks } } });
    const ok1 = await mint({ sub: 'u', tidings: grant }, { alg: 'RS256', key: rsa.privateKey, kid: 'r1' });
    const ok2 = await mint({ sub: 'u', tidings: grant }, { alg: 'ES256', key: ec.privateKey, kid: 'e1' });
    const bad = await mint({ sub: 'u', tidings: grant }, { alg: 'ES256', key: ec.privateKey, kid: 'nope' });
    expect((await subscribeStatus(h.url, ['news'], { token: ok1 })).status).toBe(200);
    expect((await subscribeStatus(h.url, ['news'], { token: ok2 })).status).toBe(200);
    const r = await subscribeStatus(h.url, ['news'], { token: bad });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/No key of the hub's JWKS matches/);
  });

  it('refuses unusable configurations at startup with a message naming the option', () => {
    const make = (auth: HubOptions['auth']) => () => createHub({ store: memoryStore(), auth });
    expect(make({ jwt: { secret: 'short' } })).toThrow(/jwt.secret is 5 bytes; HS256 needs at least 32/);
    expect(make({ jwt: { secret: SECRET, algorithms: ['none'] } })).toThrow(
      /"none", which cannot be used with a shared secret/,
    );
    expect(make({ jwt: { secret: SECRET, algorithms: ['RS256'] } })).toThrow(
      /cannot be used with a shared secret/,
    );
    expect(make({ jwt: { publicKey: 'not a key' } })).toThrow(/jwt.publicKey is not a PEM public key/);
    expect(make({ jwt: {} })).toThrow(/exactly one of secret, publicKey or jwks/);
    expect(make({ publisherKey: 'short' })).toThrow(/publisherKey must be at least 32 characters/);
    expect(make({})).toThrow(/need jwt .* publisherKey/);
    expect(make({ jwt: { secret: SECRET }, defaultGrant: { subscribe: ['a/**/b'] } })).toThrow(
      /defaultGrant has the unusable pattern "a\/\*\*\/b"/,
    );
    expect(() =>
      createHub({
        store: memoryStore(),
        auth: { publisherKey: PUBLISHER_KEY },
        authorizer: {
          authorizeSubscribe: async () => ({ principal: {} }),
          authorizePublish: async () => ({}),
        },
      }),
    ).toThrow(/auth and authorizer exclude each other/);
  });
});

describe('shared secrets', () => {
  it('accepts only the listed HMAC algorithms', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET, algorithms: ['HS384', 'HS512'] } } });
    const key = enc(SECRET);
    for (const alg of ['HS384', 'HS512']) {
      expect(
        (
          await subscribeStatus(h.url, ['news'], {
            token: await mint({ sub: 'u', tidings: grant }, { alg, key }),
          })
        ).status,
      ).toBe(200);
    }
    const r = await subscribeStatus(h.url, ['news'], {
      token: await mint({ sub: 'u', tidings: grant }, { alg: 'HS256', key }),
    });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/accepts only HS384, HS512/);
  });
});

describe('token sources', () => {
  it('takes ?token= first, then Authorization: Bearer, then the cookie', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET }, cookieName: 'sess' } });
    const good = await mint({ sub: 'u', tidings: grant });
    const bad = 'x.y.z';
    const q = (token: string | undefined, headers: Record<string, string>) =>
      subscribeStatus(h.url, ['news'], { token, headers });
    expect((await q(good, { authorization: `Bearer ${bad}`, cookie: `sess=${bad}` })).status).toBe(200);
    expect((await q(bad, { authorization: `Bearer ${good}` })).status).toBe(401);
    expect((await q(undefined, { authorization: `Bearer ${good}`, cookie: `sess=${bad}` })).status).toBe(200);
    expect((await q(undefined, { authorization: `Bearer ${bad}`, cookie: `sess=${good}` })).status).toBe(401);
    expect((await q(undefined, { cookie: `other=1; sess=${good}; more=2` })).status).toBe(200);
    expect((await q(undefined, { cookie: `other=${good}` })).status).toBe(401);
  });

  it('uses a token without a tidings claim through the default grant', async () => {
    const h = await hub({
      auth: {
        jwt: { secret: SECRET },
        tenantClaim: 'tenant_id',
        defaultGrant: { subscribe: ['tenant/{tenant}/**', 'user/{sub}'] },
      },
    });
    const t = await mint({ sub: 'u7', tenant_id: 'acme' });
    expect((await subscribeStatus(h.url, ['user/u7', 'tenant/acme/x'], { token: t })).status).toBe(200);
    const r = await subscribeStatus(h.url, ['tenant/other/x'], { token: t });
    expect(r.status).toBe(403);
    expect(r.body.error.topic).toBe('tenant/other/x');
  });

  it('accepts the publisher key for subscribing and publishing anywhere', async () => {
    const h = await hub({ auth: { publisherKey: PUBLISHER_KEY } });
    const r = await StreamReader.open(h.url, ['tenant/any/**'], {
      headers: { authorization: `Bearer ${PUBLISHER_KEY}` },
    });
    try {
      expect(r.response.status).toBe(200);
      const user = await mint({ sub: 'u', tidings: grant });
      const refused = await subscribeStatus(h.url, ['news'], {
        headers: { authorization: `Bearer ${user}` },
      });
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toMatch(/accepts only its publisher key/);
    } finally {
      await r.close();
    }
  });
});
