// Cost of the Mercure face: selector matching, fan-out over real sockets next to the hub's own
// /events on the same topology, and replay (Mercure reads all history after the resume point). Run after `npx tsc -b`:
//   node bench/mercure-fanout.mjs [subscribers] [updates]
// Numbers depend on the machine; compare the rows with each other, not across machines.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import {
  compileSelector,
  compileUriTemplate,
  createHub,
  hubTopicOf,
  memoryStore,
  sqliteStore,
} from '../packages/server/dist/index.js';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SUBSCRIBERS = Number(process.argv[2] ?? 600);
const UPDATES = Number(process.argv[3] ?? 2000);

function rate(label, n, ms) {
  console.log(`${label}: ${((ms / n) * 1000).toFixed(2)} µs each (${Math.round(n / (ms / 1000))}/s)`);
}

// ---- matching ------------------------------------------------------------------------------
{
  const t = compileUriTemplate('https://example.com/books/{id}');
  const q = compileUriTemplate('https://example.com/users/alice/{?topic}');
  const n = 200_000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) t.matches(`https://example.com/books/${i}`);
  rate('template match (books/{id}, hit)', n, performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < n; i++) t.matches(`https://example.com/authors/${i}`);
  rate('template match (miss on the literal prefix)', n, performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < n; i++)
    q.matches(`https://example.com/users/alice/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F${i}`);
  rate('template match ({?topic}, hit)', n, performance.now() - t0);
  const evil = compileUriTemplate(`x${Array.from({ length: 16 }, (_, i) => `{v${i}}`).join('')}!`);
  const long = `x${'a'.repeat(2000)}`;
  t0 = performance.now();
  for (let i = 0; i < 100; i++) evil.matches(long);
  rate(
    'pathological template (16 adjacent variables) on a 2000-character topic',
    100,
    performance.now() - t0,
  );
  t0 = performance.now();
  for (let i = 0; i < n; i++) hubTopicOf(`https://example.com/books/${i}`);
  rate('hubTopicOf (IRI)', n, performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < n; i++) compileSelector(`https://example.com/books/{id}`);
  rate('compileSelector (cached)', n, performance.now() - t0);
}

// ---- fan-out over sockets ------------------------------------------------------------------

async function start() {
  const hub = createHub({
    store: memoryStore({ retention: { maxEvents: 100_000 } }),
    mercure: { publisherJwt: { secret: SECRET }, anonymous: true },
    maxBufferBytes: 64 * 1024 * 1024,
  });
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

/** Opens a stream and counts the frames that carry an id. */
async function counter(url, counts) {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const text = dec.decode(chunk, { stream: true });
        let at = text.indexOf('id: ');
        while (at >= 0) {
          counts.n++;
          at = text.indexOf('id: ', at + 4);
        }
      }
    } catch {}
  })();
  return abort;
}

async function run(kind) {
  const h = await start();
  const counts = { n: 0 };
  const aborts = [];
  let expected = 0;
  // A third exact selectors (one book each), a third one shared template, a third per-user templates.
  const books = 50;
  const perBook = new Array(books).fill(0);
  let template = 0;
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const k = i % 3;
    let q;
    if (kind === 'mercure') {
      q =
        k === 0
          ? `topic=${encodeURIComponent(`https://example.com/books/${i % books}`)}`
          : k === 1
            ? `topic=${encodeURIComponent('https://example.com/books/{id}')}`
            : `topic=${encodeURIComponent(`https://example.com/users/${i}/books/{id}`)}&topic=${encodeURIComponent('https://example.com/books/{id}')}`;
      aborts.push(await counter(`${h.url}/.well-known/mercure?${q}`, counts));
    } else {
      q =
        k === 0
          ? `topic=books/${i % books}`
          : k === 1
            ? 'topic=books/*'
            : `topic=users/${i}/books/*&topic=books/*`;
      aborts.push(await counter(`${h.url}/events?${q}`, counts));
    }
    if (k === 0) perBook[i % books]++;
    else template++;
  }
  while (h.hub.connections().length < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 10));
  const token = await new SignJWT({ mercure: { publish: ['*'] } })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
  const t0 = performance.now();
  for (let u = 0; u < UPDATES; u++) {
    const b = u % books;
    expected += perBook[b] + template;
    if (kind === 'mercure') {
      const res = await fetch(`${h.url}/.well-known/mercure`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `topic=${encodeURIComponent(`https://example.com/books/${b}`)}&data=${encodeURIComponent(`{"n":${u}}`)}`,
      });
      await res.text();
    } else {
      const res = await fetch(`${h.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: `books/${b}`, type: 'message', data: { n: u } }),
      });
      await res.text();
    }
  }
  const published = performance.now() - t0;
  while (counts.n < expected) await new Promise((r) => setTimeout(r, 5));
  const delivered = performance.now() - t0;
  console.log(
    `${kind === 'mercure' ? 'Mercure ' : '/events '}: ${SUBSCRIBERS} subscribers, ${UPDATES} updates published one by one in ${Math.round(published)} ms (${(published / UPDATES).toFixed(2)} ms each); all ${expected} deliveries in ${Math.round(delivered)} ms (${Math.round(expected / (delivered / 1000))}/s)`,
  );
  for (const a of aborts) a.abort();
  await stop(h);
}

// ---- replay: Mercure reads all history after the resume point, /events only its topics -------

async function replay() {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-'));
  const hub = createHub({
    store: sqliteStore({ path: join(dir, 'h.db'), retention: { maxEvents: 1_000_000 } }),
    mercure: { publisherJwt: { secret: SECRET }, anonymous: true },
  });
  const server = createServer(hub.handleNode);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}`;
  const topics = 1000;
  const total = 100_000;
  const batch = [];
  for (let i = 0; i < total; i++) {
    batch.push({ topic: `books/${i % topics}`, type: 'message', data: { i } });
    if (batch.length === 1000) await hub.publish(batch.splice(0));
  }
  async function time(label, href, expected) {
    const t0 = performance.now();
    const counts = { n: 0 };
    const abort = await counter(href, counts);
    while (counts.n < expected) await new Promise((r) => setTimeout(r, 2));
    abort.abort();
    console.log(`${label}: ${expected} of ${total} events in ${Math.round(performance.now() - t0)} ms`);
  }
  const claims = await new SignJWT({ mercure: { subscribe: ['*'] } })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
  await time(
    '/events resume from the start, one topic',
    `${url}/events?topic=books/7&lastEventId=${hub.engine.store.idAt('0')}`,
    total / topics,
  );
  await time(
    'Mercure lastEventID=earliest, one topic',
    `${url}/.well-known/mercure?topic=books/7&lastEventID=earliest&authorization=${claims}`,
    total / topics,
  );
  await time(
    'Mercure lastEventID=earliest, all topics',
    `${url}/.well-known/mercure?topic=*&lastEventID=earliest&authorization=${claims}`,
    total,
  );
  await hub.close();
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

await run('native');
await run('mercure');
await replay();
