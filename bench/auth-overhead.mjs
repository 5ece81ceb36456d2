// Cost of authentication and authorization in the hub. Run after `npx tsc -b`:
//   node bench/auth-overhead.mjs
// Numbers depend on the machine; compare the rows with each other, not across machines.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { createHub, jwtAuthorizer, memoryRevocations, memoryStore } from '../packages/server/dist/index.js';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const enc = new TextEncoder();
const claims = { sub: 'u1', tenant: 'a', tidings: { subscribe: ['tenant/{tenant}/**'] } };

function fakeRequest(token) {
  return {
    method: 'GET',
    url: new URL('http://hub.invalid/events'),
    path: '/events',
    remoteAddress: '127.0.0.1',
    signal: new AbortController().signal,
    header: (n) => (n === 'authorization' ? `Bearer ${token}` : undefined),
    text: async () => '',
  };
}

async function verifyRate(name, jwt, sign) {
  const auth = jwtAuthorizer({ jwt }, memoryRevocations());
  const token = await sign(
    new SignJWT(claims).setProtectedHeader({ alg: name }).setIssuedAt().setExpirationTime('1h'),
  );
  const n = name === 'HS256' ? 20_000 : 5_000;
  for (let i = 0; i < 200; i++) await auth.authenticate(fakeRequest(token));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await auth.authenticate(fakeRequest(token));
  const s = (performance.now() - t0) / 1000;
  console.log(`verify ${name}: ${Math.round(n / s)} tokens/s (${((s / n) * 1e6).toFixed(1)} µs each)`);
}

async function start(opts) {
  const hub = createHub({ store: memoryStore(), ...opts });
  const server = createServer(hub.handleNode);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { hub, server, url: `http://127.0.0.1:${server.address().port}` };
}

async function stop(h) {
  await h.hub.close();
  h.server.closeAllConnections();
  await new Promise((r) => h.server.close(r));
}

/** Opens `n` streams, `conc` at a time; returns streams per second. */
async function openRate(h, n, conc, query) {
  const aborts = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        next++;
        const a = new AbortController();
        aborts.push(a);
        const res = await fetch(`${h.url}/events?${query}`, { signal: a.signal });
        if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
        const reader = res.body.getReader();
        await reader.read(); // the connected frame
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  for (const a of aborts) a.abort();
  return Math.round(n / s);
}

/** `subs` subscribers on `query`, `events` published alternately to tenant/a and tenant/b. */
async function fanOut(h, subs, events, query, perSub) {
  let got = 0;
  const want = subs * perSub;
  let done;
  const all = new Promise((r) => {
    done = r;
  });
  const aborts = [];
  for (let i = 0; i < subs; i++) {
    const a = new AbortController();
    aborts.push(a);
    const res = await fetch(`${h.url}/events?${query}`, { signal: a.signal });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body) {
          const text = dec.decode(chunk, { stream: true });
          got += text.split('\nid: ').length - 1 + (text.startsWith('id: ') ? 1 : 0);
          if (got >= want) done();
        }
      } catch {}
    })();
  }
  while (h.hub.connections().length < subs) await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    await h.hub.publish({ topic: i % 2 ? 'tenant/a/feed' : 'tenant/b/feed', type: 't', data: i });
  }
  await all;
  const s = (performance.now() - t0) / 1000;
  for (const a of aborts) a.abort();
  return { framesPerS: Math.round(want / s), eventsPerS: Math.round(events / s) };
}

await verifyRate('HS256', { secret: SECRET }, (j) => j.sign(enc.encode(SECRET)));
for (const alg of ['RS256', 'ES256']) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  await verifyRate(alg, { publicKey: await exportSPKI(publicKey) }, (j) => j.sign(privateKey));
}

const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(enc.encode(SECRET));
const auth = {
  auth: { jwt: { secret: SECRET } },
  limits: { connectionsPerUser: false, connectionsPerIp: false },
};

const anon = await start({});
console.log(`open streams, anonymous:        ${await openRate(anon, 2000, 20, 'topic=tenant/a/feed')} /s`);
await stop(anon);
const authed = await start(auth);
console.log(
  `open streams, HS256 token:      ${await openRate(authed, 2000, 20, `topic=tenant/a/feed&token=${token}`)} /s`,
);
await stop(authed);

const fmt = (r) => `${r.eventsPerS} events/s published, ${r.framesPerS} frames/s delivered`;
const SUBS = 200;
const EVENTS = 1000;
let h = await start({});
console.log(
  `fan-out, anonymous, tenant/a/feed (${SUBS} subs):         ${fmt(await fanOut(h, SUBS, EVENTS, 'topic=tenant/a/feed', EVENTS / 2))}`,
);
await stop(h);
h = await start(auth);
console.log(
  `fan-out, token, tenant/a/feed (inside grant, no filter): ${fmt(await fanOut(h, SUBS, EVENTS, `topic=tenant/a/feed&token=${token}`, EVENTS / 2))}`,
);
await stop(h);
h = await start(auth);
console.log(
  `fan-out, token, tenant/*/feed (canRead drops tenant/b):  ${fmt(await fanOut(h, SUBS, EVENTS, `topic=tenant/*/feed&token=${token}`, EVENTS / 2))}`,
);
await stop(h);
process.exit(0);
