/**
 * One suite every framework adapter must pass, run against the real framework listening on an
 * ephemeral port of 127.0.0.1: subscribe, publish over HTTP, receive, resume with
 * `Last-Event-ID`, an auth refusal passing through as the hub's own 401, and cleanup when the
 * client goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub, memoryStore } from '../../src/index.js';
import { post, StreamReader } from '../helpers.js';

/** The publisher key of the suite's hubs. */
export const PK = 'pk-adapters-0123456789abcdef0123456789';
const auth = { authorization: `Bearer ${PK}` };

/** A framework app serving `hub`, listening on 127.0.0.1. */
export interface RunningApp {
  /** Origin, e.g. `http://127.0.0.1:1234`. */
  readonly url: string;
  /** Open streams of the hub that serves the app. @defaultValue the suite hub's `connections()` */
  connections?(): Promise<number>;
  close(): Promise<void>;
}

/** What the suite needs from each framework. */
export interface AdapterSetup {
  /** Starts the framework app with the adapter serving `hub` under `/live` and `GET /hello` answered by the app itself. */
  start(hub: Hub): Promise<RunningApp>;
  /** Whether the app answers `GET /hello` itself (not the Next.js example). @defaultValue true */
  ownRoutes?: boolean;
}

/** The hub every adapter test serves: memory store, publisher key, under `/live`. */
export function suiteHub(): Hub {
  return createHub({ store: memoryStore(), basePath: '/live', auth: { publisherKey: PK } });
}

async function untilAsync(cond: () => Promise<boolean>, ms: number, why: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Registers the suite for one framework. */
export function adapterSuite(name: string, setup: AdapterSetup): void {
  describe(`${name} adapter`, () => {
    let hub: Hub;
    let app: RunningApp;
    const open: StreamReader[] = [];
    const stream = async (topics: string[], lastEventId?: string) => {
      const r = await StreamReader.open(app.url, topics, {
        path: '/live/events',
        headers: auth,
        ...(lastEventId !== undefined && { lastEventId }),
      });
      open.push(r);
      return r;
    };

    const publish = async (topic: string, data: unknown): Promise<string> => {
      const res = await post(app.url, { topic, type: 'n', data }, { path: '/live/publish', headers: auth });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const connections = () =>
      app.connections ? app.connections() : Promise.resolve(hub.connections().length);

    beforeAll(async () => {
      hub = suiteHub();
      app = await setup.start(hub);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(open.map((r) => r.close()));
      await app?.close();
      await hub?.close();
    }, 60_000);

    it('streams an event published over HTTP through the framework', async () => {
      const r = await stream(['news']);
      expect(r.response.status).toBe(200);
      expect(r.response.headers.get('content-type')).toContain('text/event-stream');
      await r.waitFor((x) => x.of('connected').length === 1, 15_000);
      await publish('news', { n: 1 });
      const [ev] = await r.waitForEvents(1, 15_000);
      expect(ev).toMatchObject({ topic: 'news', type: 'n', data: { n: 1 } });
      await r.close();
    });

    it('resumes after Last-Event-ID with exactly the missed events', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await publish('resume', { i }));
      const r = await stream(['resume'], ids[0]);
      const evs = await r.waitForEvents(2, 15_000);
      expect(evs.map((e) => e.id)).toEqual(ids.slice(1));
      await r.close();
    });

    it("passes an auth refusal through as the hub's own 401", async () => {
      // The same hub options as the app's, so the same refusal.
      const direct = await hub.fetch(new Request('http://127.0.0.1/live/events?topic=news'));
      const expected = await direct.json();
      expect(direct.status).toBe(401);
      const res = await fetch(`${app.url}/live/events?topic=news`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(expected);
    });

    it('answers paths under the base path the hub does not know with its JSON 404', async () => {
      const res = await fetch(`${app.url}/live/no-such-route`);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/\.$/);
    });

    it.runIf(setup.ownRoutes !== false)('leaves other paths to the app', async () => {
      const res = await fetch(`${app.url}/hello`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('hello from the app');
    });

    it('forgets the connection when the client goes away', async () => {
      const before = await connections();
      const r = await stream(['gone']);
      await r.waitFor((x) => x.of('connected').length === 1, 15_000);
      expect(await connections()).toBe(before + 1);
      await r.close();
      let now = before + 1;
      await untilAsync(
        async () => {
          now = await connections();
          return now === before;
        },
        15_000,
        () => `${now - before} connection(s) left open after the client went away`,
      );
    });
  });
}
