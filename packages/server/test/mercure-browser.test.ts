import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from './helpers.js';
import { HUB, KEYS, MercureReader, mercureToken, publishForm } from './mercure-helpers.js';

/**
 * The Mercure face as Mercure users meet it: Chromium's native `EventSource`, on a page of another
 * origin than the hub (CORS), authenticated by the `mercureAuthorization` cookie or not at all.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const msg = `\n*** ${CHROMIUM} is missing: the Mercure browser tests are SKIPPED (apt-get install chromium). ***\n`;
  if (process.env.TIDINGS_REQUIRE_SERVICES === '1') throw new Error(msg);
  console.warn(msg);
}

const BOOKS = 'https://example.com/books';

/** The page's script: opens EventSources and records what they deliver. */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>mercure test</title><script>
window.streams = {};
window.listen = (name, url, withCredentials, types) => {
  const es = new EventSource(url, { withCredentials });
  const s = (window.streams[name] = { messages: [], errors: 0, opens: 0, state: 0, es });
  const push = (type) => (e) => s.messages.push({ type, data: e.data, id: e.lastEventId });
  es.onmessage = push('message');
  for (const t of types || []) es.addEventListener(t, push(t));
  es.onopen = () => { s.opens++; s.state = es.readyState; };
  es.onerror = () => { s.errors++; s.state = es.readyState; };
};
window.stop = (name) => window.streams[name].es.close();
</script></head><body>mercure</body></html>`;

interface Seen {
  type: string;
  data: string;
  id: string;
}
interface StreamState {
  messages: Seen[];
  errors: number;
  opens: number;
  state: number;
}

function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  server.listen(0, '127.0.0.1');
  return new Promise((ok) =>
    server.once('listening', () =>
      ok({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe.skipIf(!haveChromium)('Mercure in Chromium with the native EventSource', () => {
  let h: RunningHub;
  let app: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  let publisher: string;

  const hubUrl = (query: string) => `${h.url}${HUB}?${query}`;
  const topics = (...t: string[]) => t.map((x) => `topic=${encodeURIComponent(x)}`).join('&');
  const state = (name: string, p: Page = page) =>
    p.evaluate(
      `(() => { const s = window.streams[${JSON.stringify(name)}]; return { messages: s.messages, errors: s.errors, opens: s.opens, state: s.state }; })()`,
    ) as Promise<StreamState>;
  async function waitState(
    name: string,
    ok: (s: StreamState) => boolean,
    p: Page = page,
  ): Promise<StreamState> {
    let last: StreamState | undefined;
    const end = Date.now() + 15_000;
    for (;;) {
      last = await state(name, p);
      if (ok(last)) return last;
      if (Date.now() > end) throw new Error(`Timed out on ${name}: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async function listen(
    name: string,
    url: string,
    withCredentials = false,
    types: string[] = [],
    p: Page = page,
  ) {
    await p.evaluate(
      `window.listen(${JSON.stringify(name)}, ${JSON.stringify(url)}, ${withCredentials}, ${JSON.stringify(types)})`,
    );
  }
  async function pub(fields: Parameters<typeof publishForm>[1]): Promise<string> {
    const r = await publishForm(h.url, fields, { token: publisher });
    expect(r.status).toBe(200);
    return r.body;
  }
  const texts = (s: StreamState) => s.messages.map((m) => m.data);

  beforeAll(async () => {
    app = await pageServer();
    stranger = await pageServer();
    h = await startHub({
      mercure: { ...KEYS, anonymous: true, publishOrigins: [app.origin] },
      cors: { origins: [app.origin] },
      // The reconnection delay the streams announce, short for the tests.
      retryMs: 200,
    });
    publisher = await mercureToken({ publish: ['*'] });
    profile = mkdtempSync(join(tmpdir(), 'tidings-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    // Same site as the page (127.0.0.1), so the browser sends it to the hub when credentials are on.
    await context.addCookies([
      {
        name: 'mercureAuthorization',
        value: await mercureToken({ subscribe: [`${BOOKS}/{id}`], publish: [`${BOOKS}/{id}`] }),
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        sameSite: 'Strict',
      },
    ]);
    page = await context.newPage();
    await page.goto(app.origin);
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await h?.close();
    app?.server.close();
    stranger?.server.close();
  });

  it('delivers by exact, template and * selectors and alternate topics, with ids, types and multi-line data', async () => {
    await listen('exact', hubUrl(topics(`${BOOKS}/1`)));
    await listen('template', hubUrl(topics(`${BOOKS}/{id}`)), false, ['book-event']);
    await listen('all', hubUrl(topics('*')));
    await listen('alt', hubUrl(topics('https://example.com/shelves/{s}')));
    for (const n of ['exact', 'template', 'all', 'alt']) await waitState(n, (s) => s.opens === 1);

    const odd = await pub({ topic: `${BOOKS}/1`, data: 'one', id: 'urn:rev:[1]/"a":b' });
    await pub({ topic: `${BOOKS}/1/reviews`, data: 'review' });
    await pub({ topic: [`${BOOKS}/2`, 'https://example.com/shelves/top'], data: 'line 1\nline 2' });
    await pub({ topic: `${BOOKS}/3`, data: 'typed', type: 'book-event' });
    await pub({ topic: 'https://example.com/shelves/top', data: 'end' });

    const all = await waitState('all', (s) => texts(s).includes('end'));
    // The typed update is no `message`: a plain onmessage does not see it.
    expect(texts(all)).toEqual(['one', 'review', 'line 1\nline 2', 'end']);
    expect(all.messages[0]?.id).toBe(odd);
    expect(odd).toBe('urn:rev:[1]/"a":b');
    const template = await waitState('template', (s) => s.messages.length === 3);
    expect(template.messages.map((m) => [m.type, m.data])).toEqual([
      ['message', 'one'],
      ['message', 'line 1\nline 2'],
      ['book-event', 'typed'],
    ]);
    const alt = await waitState('alt', (s) => texts(s).includes('end'));
    expect(texts(alt)).toEqual(['line 1\nline 2', 'end']);
    const exact = await state('exact');
    expect(texts(exact)).toEqual(['one']);
    for (const n of ['exact', 'template', 'all', 'alt'])
      await page.evaluate(`window.stop(${JSON.stringify(n)})`);
  });

  it('gives private updates to the cookie holder across origins, public ones to everyone, live and on replay', async () => {
    await listen('cookie', hubUrl(topics(`${BOOKS}/{id}`, 'https://example.com/authors/{id}')), true);
    await listen('anon', hubUrl(topics(`${BOOKS}/{id}`, 'https://example.com/authors/{id}')), false);
    await waitState('cookie', (s) => s.opens === 1);
    await waitState('anon', (s) => s.opens === 1);
    const first = await pub({ topic: `${BOOKS}/10`, data: 'public 10' });
    await pub({ topic: `${BOOKS}/10`, data: 'private 10', private: true });
    await pub({ topic: 'https://example.com/authors/1', data: 'private author', private: true });
    await pub({ topic: `${BOOKS}/11`, data: 'public 11' });
    const cookie = await waitState('cookie', (s) => texts(s).includes('public 11'));
    const anon = await waitState('anon', (s) => texts(s).includes('public 11'));
    expect(texts(cookie)).toEqual(['public 10', 'private 10', 'public 11']);
    expect(texts(anon)).toEqual(['public 10', 'public 11']);

    // Replay through the lastEventID query parameter, as a page does after discovery.
    const q = `${topics(`${BOOKS}/{id}`)}&lastEventID=${encodeURIComponent(first)}`;
    await listen('cookieReplay', hubUrl(q), true);
    await listen('anonReplay', hubUrl(q), false);
    const cr = await waitState('cookieReplay', (s) => texts(s).includes('public 11'));
    const ar = await waitState('anonReplay', (s) => texts(s).includes('public 11'));
    expect(texts(cr)).toEqual(['private 10', 'public 11']);
    expect(texts(ar)).toEqual(['public 11']);
    for (const n of ['cookie', 'anon', 'cookieReplay', 'anonReplay'])
      await page.evaluate(`window.stop(${JSON.stringify(n)})`);
  });

  it('resumes with Last-Event-ID after the connection drops, losing and repeating nothing', async () => {
    await listen('resume', hubUrl(topics(`${BOOKS}/{id}`)));
    await waitState('resume', (s) => s.opens === 1);
    // retry= lowers the browser's reconnection delay.
    await pub({ topic: `${BOOKS}/20`, data: 'before', retry: '50' });
    await waitState('resume', (s) => texts(s).includes('before'));
    for (const c of h.hub.connections()) h.hub.disconnect(c.id);
    await pub({ topic: `${BOOKS}/20`, data: 'while away 1' });
    await pub({ topic: `${BOOKS}/21`, data: 'while away 2' });
    const s = await waitState('resume', (x) => x.opens === 2);
    await pub({ topic: `${BOOKS}/22`, data: 'after' });
    const done = await waitState('resume', (x) => texts(x).includes('after'));
    expect(texts(done)).toEqual(['before', 'while away 1', 'while away 2', 'after']);
    expect(s.opens).toBe(2);
    await page.evaluate(`window.stop('resume')`);
  });

  it('resumes a stream that dropped before its first update from the point it was given', async () => {
    await listen('early', hubUrl(topics('https://example.com/early/{id}')));
    await waitState('early', (s) => s.opens === 1);
    for (const c of h.hub.connections()) h.hub.disconnect(c.id);
    await pub({ topic: 'https://example.com/early/1', data: 'published while reconnecting' });
    const s = await waitState('early', (x) => x.messages.length === 1);
    expect(texts(s)).toEqual(['published while reconnecting']);
    expect(s.opens).toBe(2);
    await page.evaluate(`window.stop('early')`);
  });

  it('replays the whole retained history for lastEventID=earliest', async () => {
    await listen('earliest', hubUrl(`${topics(`${BOOKS}/{id}`)}&lastEventID=earliest`));
    const s = await waitState('earliest', (x) => texts(x).includes('after'));
    expect(texts(s)).toEqual([
      'one',
      'line 1\nline 2',
      'public 10',
      'public 11',
      'before',
      'while away 1',
      'while away 2',
      'after',
    ]);
    await page.evaluate(`window.stop('earliest')`);
  });

  it('fails the EventSource for a bad token (401) and for an origin the hub does not allow', async () => {
    await listen('badToken', hubUrl(`${topics('*')}&authorization=not-a-jwt`));
    const bad = await waitState('badToken', (s) => s.errors > 0 && s.state === 2);
    expect(bad.opens).toBe(0);

    const other = await context.newPage();
    await other.goto(stranger.origin);
    await listen('stranger', hubUrl(topics('*')), true, [], other);
    const refused = await waitState('stranger', (s) => s.errors > 0 && s.state === 2, other);
    expect(refused.messages).toEqual([]);
    await other.close();
  });

  it('publishes with the cookie from a listed origin and refuses it from another', async () => {
    const form = 'topic=https%3A%2F%2Fexample.com%2Fbooks%2F99&data=from%20the%20page';
    const send = (p: Page) =>
      p.evaluate(
        `fetch(${JSON.stringify(`${h.url}${HUB}`)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(form)} }).then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ status: 0, body: String(e) }))`,
      ) as Promise<{ status: number; body: string }>;
    const ok = await send(page);
    expect(ok.status).toBe(200);
    expect(ok.body).not.toBe('');
    const other = await context.newPage();
    await other.goto(stranger.origin);
    const refused = await send(other);
    // The browser hides the hub's 403 behind a CORS failure (the origin is not listed)...
    expect([0, 403]).toContain(refused.status);
    await other.close();
    // ...so check in history that the hub published the first and refused the second.
    await pub({ topic: `${BOOKS}/99`, data: 'end' });
    const r = await MercureReader.open(h.url, [`${BOOKS}/99`], { lastEventID: 'earliest' });
    await r.waitFor((x) => x.data.includes('end'));
    await r.close();
    expect(r.data).toEqual(['from the page', 'end']);
  });
});
