import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_SUBPROTOCOL } from '@tidings/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type HubOptions, installAdmin, installMetrics, sqliteStore } from '../../src/index.js';
import { fullCollection } from '../../src/limits/memory-accountant.js';
import { BODY_FACTOR } from '../../src/limits/memory-admission.js';
import { mint, PUBLISHER_KEY, SECRET } from '../auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { HUB as MERCURE, subscribeAnswer } from '../mercure-helpers.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';

const MiB = 1024 * 1024;
/**
 * How far past the budget the process's RSS may go (docs/security.md, "Memory budget"): the V8
 * heap's free space and the native buffers (sockets, SQLite) the budget does not count, and what
 * one sample interval admits. This process also holds every attacking client; the worst case
 * measured here was 63 MiB.
 */
const MARGIN = 80 * MiB;

/**
 * What the accountant counts when a hub starts (heap in use, external, and the rest of the
 * resident set as overhead), measured the same way from the test: budgets are set relative to it.
 */
function usedNow(): number {
  const m = process.memoryUsage();
  return m.rss - (m.heapTotal - m.heapUsed);
}

/**
 * {@link usedNow} once garbage is gone: earlier cases' sockets and buffers are released over a
 * few turns after they close, and garbage collected later would otherwise count as headroom.
 */
async function liveNow(): Promise<number> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20; i++) {
    fullCollection();
    const now = usedNow();
    if (Math.abs(last - now) < MiB / 2) return now;
    last = now;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return last;
}

/**
 * Tracks the process's peak RSS while an attack runs. With `MEMLOG=1` each case prints its
 * budget, peak and the memory breakdown at the peak (how the margin above was measured).
 */
class PeakRss {
  /** RSS before the attack: a test process keeps what earlier cases made resident. */
  readonly start = process.memoryUsage.rss();
  peak = this.start;
  at: NodeJS.MemoryUsage | undefined;
  private readonly timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > this.peak) {
      this.peak = r;
      if (process.env.MEMLOG) this.at = process.memoryUsage();
    }
  }, 10);
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
    return this.peak;
  }
}

interface Case {
  h: RunningHub;
  /** Budget less what the process used when the hub started. */
  headroom: number;
  port: number;
  budget: number;
  innocent: Innocent;
  rss: PeakRss;
}

const open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/**
 * A hub whose budget is what the process uses now plus `headroomMiB`, with an innocent
 * subscriber (and its publisher) on its own topic.
 */
async function budgetHub(
  headroomMiB: number,
  o: HubOptions & { leanStreams?: boolean } = {},
  headers: Record<string, string> = {},
): Promise<Case> {
  const budget = Math.max(32 * MiB, Math.round((await liveNow()) + headroomMiB * MiB));
  const h = await startHub({ maxMemoryBytes: budget, ...o });
  open.push(h);
  const innocent = await Innocent.open(h.url, { headers });
  open.push(innocent);
  const rss = new PeakRss();
  open.push({ close: () => void rss.stop() });
  return { h, port: Number(new URL(h.url).port), budget, headroom: headroomMiB * MiB, innocent, rss };
}

/** A raw client socket: what it wrote, what it got back. */
interface Raw {
  readonly socket: Socket;
  /** The response head and whatever body arrived, as text. */
  text: string;
  readonly status: () => number | undefined;
}

/** Opens a socket, writes `data`, and collects what comes back (until paused). */
function raw(port: number, data: string): Raw {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const r: Raw = {
    socket,
    text: '',
    status: () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(r.text);
      return m ? Number(m[1]) : undefined;
    },
  };
  socket.on('data', (c) => {
    if (r.text.length < 64 * 1024) r.text += c.toString('latin1');
  });
  socket.write(data);
  open.push({ close: () => void socket.destroy() });
  return r;
}

/** A publish whose head declares `bytes` and whose body never finishes: its reservation stays. */
function stalledPublish(port: number, bytes = MiB, path = '/publish', extra = ''): Raw {
  return raw(
    port,
    `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n${extra}\r\n{"topic":"x`,
  );
}

/**
 * A request head announcing a body that is only sent if the hub admits it: a refusal comes
 * before the body is read, and a body sent after it would race the hub closing the socket.
 * Resolves with the answer.
 */
async function headOnly(
  port: number,
  path: string,
  headers: Record<string, string>,
  length = 40,
): Promise<Raw> {
  const r = raw(
    port,
    `POST ${path} HTTP/1.1\r\nhost: x\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}content-length: ${length}\r\n\r\n`,
  );
  await until(
    () => r.text.includes('}}'),
    3000,
    () => `no answer to ${path}: ${JSON.stringify(r.text)}`,
  );
  return r;
}

/** A chunked publish (no length): charged the whole body limit. */
function stalledChunked(port: number): Raw {
  return raw(
    port,
    'POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"top\r\n',
  );
}

/** An event stream that reads its response head and then never reads again. */
async function deafStream(port: number, query: string, headers = ''): Promise<Raw> {
  const r = raw(port, `GET /events?${query} HTTP/1.1\r\nhost: x\r\n${headers}\r\n`);
  await until(() => r.status() !== undefined || r.socket.destroyed, 5000);
  if (r.status() === 200) r.socket.pause();
  return r;
}

/** Asserts a refusal for the budget: 503, Retry-After, the JSON sentence naming the option. */
function expectShed(
  status: number | undefined,
  headers: Headers | string,
  body: string,
  budget: number,
): void {
  expect(status).toBe(503);
  const retry =
    typeof headers === 'string'
      ? /\r\nretry-after: (\d+)\r\n/i.exec(headers)?.[1]
      : headers.get('retry-after');
  expect(retry).toBe('2');
  const json = JSON.parse(typeof headers === 'string' ? body.slice(body.indexOf('\r\n\r\n') + 4) : body) as {
    error: Record<string, unknown>;
  };
  expect(json.error).toMatchObject({
    code: 'unavailable',
    option: 'maxMemoryBytes',
    limit: budget,
    retryAfterS: 2,
  });
  expect(String(json.error.message)).toMatch(
    /memory budget of \d+ MiB \(maxMemoryBytes\).*retry after 2 s\./,
  );
}

/**
 * Sends `open()` requests one at a time until the hub refuses one: each is either refused (an
 * answer arrives) or admitted (the hub reserves its body). Returns both sets.
 */
async function fillUntilRefused(
  c: Case,
  openOne: () => Raw,
  max = 64,
): Promise<{ held: Raw[]; refused: Raw }> {
  const held: Raw[] = [];
  for (let i = 0; i < max; i++) {
    const before = c.h.hub.memory().held.bodies;
    const r = openOne();
    await until(() => r.status() !== undefined || c.h.hub.memory().held.bodies > before, 5000);
    if (r.status() !== undefined) {
      await until(() => r.text.includes('}}') || r.socket.destroyed, 2000);
      return { held, refused: r };
    }
    held.push(r);
  }
  throw new Error(`${max} stalled publishes were all admitted under a budget of ${c.budget} bytes`);
}

/**
 * Puts the hub over its budget the way a real attack does: six event streams that read their
 * response head and then nothing, each on its own topic, and 46 KiB events published to those
 * topics until the hub refuses a publish. Each stream's frames are its own (no other subscriber
 * shares them), so once the kernel's socket buffers are full they pile up in the hub's memory,
 * up to `maxBufferBytes` (set high for these cases) per stream. The hub stays over budget, for
 * every kind of work, while the streams stay deaf. Returns the streams and the refusal.
 */
async function pressure(
  c: Case,
  headers: Record<string, string> = {},
): Promise<{ deaf: Raw[]; shed: Awaited<ReturnType<typeof post>>; acknowledged: string[] }> {
  const deaf: Raw[] = [];
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  for (let i = 0; i < DEAF; i++) deaf.push(await deafStream(c.port, `topic=deaf/${i}`, head));
  expect(deaf.map((d) => d.status())).toEqual(Array(DEAF).fill(200));
  const acknowledged: string[] = [];
  let shed: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 600 && !shed; i++) {
    const batch = Array.from({ length: 20 }, (_, k) => ({
      topic: `deaf/${i % DEAF}`,
      type: 'big',
      data: { k, FILLER },
    }));
    const a = await post(c.h.url, batch, { headers });
    if (a.status === 201) acknowledged.push(...(a.body.ids as string[]));
    else if (a.status === 503) shed = a;
    else throw new Error(`unexpected status ${a.status}: ${JSON.stringify(a.body)}`);
  }
  if (!shed)
    throw new Error(`600 batches of 20 large events were all admitted under a budget of ${c.budget} bytes`);
  // The refusal came when the next batch would not fit, perhaps partly for garbage that the
  // accountant's next collection frees. The application's own in-process publishes (never
  // refused) pile more onto the deaf streams until their queues alone pass the headroom: the hub
  // then stays over budget, collections or not, for as long as they stay deaf.
  for (let i = 0; i < 400; i++) {
    if (c.h.hub.memory().held.outbound >= c.headroom + 4 * MiB) {
      // Over budget once garbage is gone, as the accountant's own collections will find it.
      fullCollection();
      await new Promise((ok) => setTimeout(ok, 110));
      if (c.h.hub.memory().usedBytes > c.budget + 2 * MiB) break;
    }
    const more = await c.h.hub.publish(
      Array.from({ length: 20 }, (_, k) => ({ topic: `deaf/${i % DEAF}`, type: 'big', data: { k, FILLER } })),
    );
    acknowledged.push(...more.map((r) => r.id));
    await new Promise((ok) => setTimeout(ok, 20));
  }
  await until(
    () => c.h.hub.memory().usedBytes > c.budget,
    5000,
    () => `the hub is not over budget: ${JSON.stringify(c.h.hub.memory())}`,
  );
  return { deaf, shed, acknowledged };
}

const FILLER = 'z'.repeat(46 * 1024);
/** Deaf streams of {@link pressure}: each first fills its kernel socket buffers (about 4 MiB). */
const DEAF = 6;
/**
 * Options of the hubs {@link pressure} is used on: history on disk (SQLite, as `tidings serve`
 * keeps it), so what fills memory is the deaf streams' queues and not the history itself, and
 * a buffer large enough that the deaf streams are not dropped while it fills.
 */
function pressured(): HubOptions {
  return { store: sqliteStore({ path: join(tmp(), 'h.db') }), maxBufferBytes: 32 * MiB };
}

/** Holds stalled 1 MiB publishes until the hub refuses one. */
function fillWithStalledBodies(c: Case): Promise<{ held: Raw[]; refused: Raw }> {
  return fillUntilRefused(c, () => stalledPublish(c.port));
}

/**
 * `count` concurrent batch publishes of 15 events of 60 KiB (about 900 KiB) over raw sockets,
 * whose large parts are one Buffer shared by every request (the attacking clients cost the test
 * process next to nothing); event `k` of batch `n` carries `10000 + n * 100 + k` (so every body
 * has the same length). The hub decides on the head alone, so the heads go first: once every
 * request is either answered or holding its reservation, the admitted ones send their bodies
 * (sending a body to a request already refused would race the hub closing its socket).
 */
async function rawPublishes(
  c: Case,
  count: number,
  filler: Buffer,
): Promise<Array<{ status: number; text: string }>> {
  const bodies = Array.from({ length: count }, (_, n) => {
    const parts: Buffer[] = [Buffer.from('[')];
    for (let k = 0; k < 15; k++) {
      parts.push(
        Buffer.from(
          `${k ? ',' : ''}{"topic":"flood","type":"big","data":{"n":${10000 + n * 100 + k},"filler":"`,
        ),
      );
      parts.push(filler, Buffer.from('"}}'));
    }
    parts.push(Buffer.from(']'));
    return parts;
  });
  const length = (bodies[0] as Buffer[]).reduce((a, b) => a + b.length, 0);
  const socks = bodies.map(() =>
    raw(
      c.port,
      `POST /publish HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${length}\r\n\r\n`,
    ),
  );
  const answered = () => socks.filter((r) => r.text.length > 0).length;
  const admitted = () => Math.round(c.h.hub.memory().held.bodies / (length * BODY_FACTOR));
  await until(
    () => answered() + admitted() === count,
    15_000,
    () => `${answered()} answered and ${admitted()} admitted of ${count}`,
  );
  socks.forEach((r, n) => {
    if (r.text.length === 0) for (const p of bodies[n] as Buffer[]) r.socket.write(p);
  });
  return Promise.all(
    socks.map(async (r, n) => {
      await until(
        () => (r.text.includes('}') && r.text.includes('\r\n\r\n')) || r.socket.destroyed,
        15_000,
        () => `publish ${n} got no answer: ${JSON.stringify(r.text.slice(0, 200))}`,
      );
      if (!r.text) throw new Error(`publish ${n} was reset without an answer`);
      await new Promise((ok) => setTimeout(ok, 5));
      return { status: r.status() as number, text: r.text };
    }),
  );
}

/** Ends the attack: closes `sockets`, waits until the hub takes work again, checks the bystander. */
async function endAttack(c: Case, sockets: Raw[]): Promise<void> {
  for (const s of sockets) s.socket.destroy();
  // Comfortably under the budget, not just at its edge: the bystander's publishes must fit.
  await until(
    () => c.h.hub.memory().usedBytes < c.budget - MiB && c.h.hub.memory().held.bodies === 0,
    10_000,
    () => `still shedding: ${JSON.stringify(c.h.hub.memory())}`,
  );
  const peak = c.rss.stop();
  if (process.env.MEMLOG)
    console.log(
      'MEMLOG',
      JSON.stringify({
        budget: c.budget >> 20,
        start: c.rss.start >> 20,
        peak: peak >> 20,
        over: (peak - Math.max(c.budget, c.rss.start)) >> 20,
        at: Object.fromEntries(Object.entries(c.rss.at ?? {}).map(([k, v]) => [k, v >> 20])),
      }),
    );
  expect(peak).toBeLessThanOrEqual(Math.max(c.budget, c.rss.start) + MARGIN);
  await c.innocent.assertUnharmed();
  const health = await fetch(`${c.h.url}/healthz`);
  expect(health.status).toBe(200);
}

/**
 * A subscriber that reads everything but keeps only the `n` of each event (the test process is
 * the hub's process: a reader keeping 50 MB of events would count against the budget).
 */
async function countingReader(port: number, topic: string): Promise<{ ns: number[]; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  const ns: number[] = [];
  let carry = '';
  let connected = false;
  socket.on('data', (c: Buffer) => {
    const text = carry + c.toString('latin1');
    for (const m of text.matchAll(/"n":(\d+)[,}]/g)) ns.push(Number(m[1]));
    if (text.includes('event: connected')) connected = true;
    // Keep the unfinished tail (never a whole match, which would count twice).
    const last = text.lastIndexOf('"n":');
    carry =
      last >= 0 && !/^"n":\d+[,}]/.test(text.slice(last))
        ? text.slice(last)
        : text.slice(-16).replace(/"n.*$/, '');
  });
  socket.on('error', () => {});
  socket.write(`GET /events?topic=${topic} HTTP/1.1\r\nhost: x\r\n\r\n`);
  open.push({ close: () => void socket.destroy() });
  await until(() => connected, 5000);
  return { ns, socket };
}

describe('memory budget under attack', () => {
  it('1 MiB publishes whose bodies never finish get 503 + Retry-After once their reservations fill the budget', async () => {
    const c = await budgetHub(24);
    expect(await c.innocent.publish()).toBe(201);
    const { held, refused } = await fillWithStalledBodies(c);
    // Each holds 6 MiB (BODY_FACTOR) against about 24 MiB of headroom (the hub's own estimate
    // differs from the test's by a few MiB): a handful, not dozens.
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held.length).toBeLessThanOrEqual(5);
    expectShed(refused.status(), refused.text, refused.text, c.budget);
    expect(c.h.hub.memory().held.bodies).toBe(held.length * BODY_FACTOR * MiB);
    // Another large one is refused too; small work still fits in what is left.
    const again = stalledPublish(c.port);
    await until(() => again.text.includes('}}'), 3000);
    expectShed(again.status(), again.text, again.text, c.budget);
    expect(await c.innocent.publish()).toBe(201);
    await endAttack(c, [...held, refused, again]);
    expect(c.h.hub.memory().shed.body).toBeGreaterThanOrEqual(2);
  });

  it('sixty concurrent 900 KiB batch publishes are each 201 or 503, and every acknowledged event reaches a reader', async () => {
    // A reader that keeps up must not be cut for the size of a burst (the slow-consumer rule is
    // judged elsewhere): a buffer that holds every admitted batch at once.
    const c = await budgetHub(24, {
      store: sqliteStore({ path: join(tmp(), 'h.db') }),
      maxBufferBytes: 64 * MiB,
    });
    const reader = await countingReader(c.port, 'flood');
    const filler = Buffer.alloc(60 * 1024, 'y');
    const answers = await rawPublishes(c, 60, filler);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    expect(statuses).toContain(503);
    for (const a of answers.filter((x) => x.status === 503)) expectShed(a.status, a.text, a.text, c.budget);
    const acknowledged = answers.flatMap((a, n) =>
      a.status === 201 ? Array.from({ length: 15 }, (_, k) => 10000 + n * 100 + k) : [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    await until(
      () => reader.ns.length >= acknowledged.length,
      10_000,
      () => `the reader got ${reader.ns.length} of ${acknowledged.length} events`,
    );
    expect(reader.ns.sort((a, b) => a - b)).toEqual(acknowledged);
    await endAttack(c, [{ socket: reader.socket } as Raw]);
  });

  it('chunked publishes without a length are charged the whole body limit and refused past the budget', async () => {
    const c = await budgetHub(20);
    const { held, refused } = await fillUntilRefused(c, () => stalledChunked(c.port));
    expectShed(refused.status(), refused.text, refused.text, c.budget);
    // maxBodyBytes (1 MiB) × 6 each, whatever the chunks say: about 20 MiB / 6 MiB were admitted.
    expect(held.length).toBeLessThanOrEqual(5);
    expect(c.h.hub.memory().held.bodies).toBe(held.length * BODY_FACTOR * MiB);
    await endAttack(c, [...held, refused]);
  });

  it.each([
    ['the stream front', true],
    ['node:http', false],
  ])(
    'event streams over the budget get 503 on %s, while open streams keep receiving',
    async (_, leanStreams) => {
      {
        const c = await budgetHub(16, { leanStreams, ...pressured() });
        const { deaf } = await pressure(c);
        const fetched = await fetch(`${c.h.url}/events?topic=late`, { signal: AbortSignal.timeout(3000) });
        expectShed(fetched.status, fetched.headers, await fetched.text(), c.budget);
        const rawRefusal = raw(c.port, 'GET /events?topic=late HTTP/1.1\r\nhost: x\r\n\r\n');
        await until(() => rawRefusal.text.includes('}}'), 3000);
        expectShed(rawRefusal.status(), rawRefusal.text, rawRefusal.text, c.budget);
        // The open stream still gets what its publisher manages to publish through in-process.
        await c.h.hub.publish({ topic: c.innocent.topic, type: 'tick', data: { n: 0 } });
        await until(() => c.innocent.reader.events.length === 1, 3000);
        c.innocent.reader.frames.splice(0); // the in-process event is not in the bystander's ledger
        expect(c.h.hub.memory().shed.stream).toBeGreaterThanOrEqual(2);
        await endAttack(c, [...deaf, rawRefusal]);
      }
    },
  );

  it('a WebSocket upgrade over the budget gets an HTTP 503 before the handshake; an open WebSocket keeps receiving', async () => {
    const c = await budgetHub(16, pressured());
    const peer = await WsPeer.open(c.h.url, ['ws-topic']);
    open.push({ close: () => peer.ws.terminate() });
    const { deaf } = await pressure(c);
    const ws = new WebSocket(`ws://127.0.0.1:${c.port}/ws?topic=late`, [WS_SUBPROTOCOL]);
    const answer = await new Promise<{
      status: number;
      retry: string | undefined;
      body: string;
      upgraded: boolean;
    }>((resolve) => {
      ws.on('open', () => resolve({ status: 101, retry: undefined, body: '', upgraded: true }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retry: res.headers['retry-after'] as string | undefined,
            body,
            upgraded: false,
          }),
        );
      });
      ws.on('error', () => {});
    });
    expect(answer.upgraded).toBe(false);
    expect(answer.status).toBe(503);
    expect(answer.retry).toBe('2');
    expect(JSON.parse(answer.body).error).toMatchObject({ code: 'unavailable', option: 'maxMemoryBytes' });
    await c.h.hub.publish({ topic: 'ws-topic', type: 'tick', data: { n: 1 } });
    await peer.waitFor((m) => m.op === 'event');
    expect(peer.closed).toBeUndefined();
    await endAttack(c, deaf);
  });

  it('a resume over the budget gets 503, and a WebSocket resume message gets nack unavailable', async () => {
    const c = await budgetHub(16, pressured());
    const first = await c.h.hub.publish({ topic: 'hist', type: 't', data: { n: 1 } });
    const peer = await WsPeer.open(c.h.url, ['other']);
    open.push({ close: () => peer.ws.terminate() });
    const { deaf } = await pressure(c);
    const resumed = await fetch(`${c.h.url}/events?topic=hist`, {
      headers: { 'last-event-id': first.id },
      signal: AbortSignal.timeout(3000),
    });
    expectShed(resumed.status, resumed.headers, await resumed.text(), c.budget);
    peer.send({ op: 'subscribe', id: 's1', topics: ['hist'], lastEventId: first.id });
    const nack = await peer.waitFor((m) => m.op === 'nack' && m.id === 's1');
    expect(nack.error).toMatchObject({ code: 'unavailable', option: 'maxMemoryBytes', retryAfterS: 2 });
    expect(c.h.hub.memory().shed.replay).toBe(2);
    await endAttack(c, deaf);
    // Back under budget, the same resume is served.
    const again = await StreamReader.open(c.h.url, ['hist'], { lastEventId: '0' });
    open.push(again);
    expect(again.response.status).toBe(200);
  });

  it('Mercure subscriptions and publishes over the budget get 503', async () => {
    const c = await budgetHub(16, {
      mercure: { anonymous: true, publisherJwt: { secret: SECRET } },
      ...pressured(),
    });
    const { deaf } = await pressure(c);
    const sub = await subscribeAnswer(c.h.url, 'topic=https%3A%2F%2Fexample.com%2Fbooks%2F1');
    expectShed(sub.status, sub.headers, sub.body, c.budget);
    const { mercureToken } = await import('../mercure-helpers.js');
    const pub = await headOnly(c.port, MERCURE, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${await mercureToken({ publish: ['*'] })}`,
    });
    expectShed(pub.status(), pub.text, pub.text, c.budget);
    const stalled = stalledPublish(c.port, 64 * 1024, MERCURE);
    await until(() => stalled.text.includes('}}'), 3000);
    expectShed(stalled.status(), stalled.text, stalled.text, c.budget);
    await endAttack(c, [...deaf, stalled]);
  });

  it('credentials are checked before the budget is charged: a forged token gets 401 even over the budget', async () => {
    const auth = { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY };
    const key = { authorization: `Bearer ${PUBLISHER_KEY}` };
    const c = await budgetHub(16, { auth, limits: false, ...pressured() }, key);
    const { deaf, shed } = await pressure(c, key);
    expect(shed.status).toBe(503);
    const json = { 'content-type': 'application/json' };
    const forged = await headOnly(c.port, '/publish', { ...json, authorization: 'Bearer nope' });
    expect(forged.status()).toBe(401);
    const user = await mint({ sub: 'u1', tidings: { publish: ['a'] } });
    const valid = await headOnly(c.port, '/publish', { ...json, authorization: `Bearer ${user}` });
    expectShed(valid.status(), valid.text, valid.text, c.budget);
    const anonymousStream = await fetch(`${c.h.url}/events?topic=a`, { signal: AbortSignal.timeout(3000) });
    expect(anonymousStream.status).toBe(503);
    await endAttack(c, deaf);
  });

  it('hundreds of streams with 64 distinct long topics each are refused once they fill the budget, and leave nothing behind', async () => {
    // What stays after the attack is the bounded cache of compiled patterns (10,000 of them,
    // about 1 KB each): the headroom leaves room for it, or the hub would stay at its budget.
    const c = await budgetHub(24);
    const streams: Raw[] = [];
    let refused: Raw | undefined;
    let seq = 0;
    for (let i = 0; i < 3000 && !refused; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, () =>
          deafStream(
            c.port,
            Array.from({ length: 64 }, () => `topic=t/${(seq++).toString(36).padStart(180, 'z')}`).join('&'),
          ),
        ),
      );
      for (const r of batch) {
        if (r.status() === 200) streams.push(r);
        else refused ??= r;
      }
    }
    expect(refused).toBeDefined();
    await until(() => (refused as Raw).text.includes('}}'), 2000);
    expectShed(refused?.status(), refused?.text ?? '', refused?.text ?? '', c.budget);
    expect(streams.length).toBeGreaterThan(10);
    await endAttack(c, [...streams, refused as Raw]);
    await until(() => c.h.hub.connections().length === 1, 5000);
  });

  it('streams that never read while large events are published to their topics: publishes are shed, every acknowledged one is durable', async () => {
    const c = await budgetHub(24, pressured());
    const { deaf, shed, acknowledged } = await pressure(c);
    expect(shed?.headers.get('retry-after')).toBe('2');
    expect(shed?.body.error).toMatchObject({
      code: 'unavailable',
      option: 'maxMemoryBytes',
      limit: c.budget,
    });
    await endAttack(c, deaf);
    // Nothing acknowledged was lost: history holds every one, in order. (Read after the attack:
    // the store keeps its read answers until the next commit, and this one is the whole history.)
    const ids: string[] = [];
    let after = '0';
    for (;;) {
      const page = await c.h.hub.engine.store.readAfter(
        after,
        { topics: Array.from({ length: DEAF }, (_, i) => `deaf/${i}`), patterns: [] },
        500,
      );
      ids.push(...page.events.map((e) => e.id));
      if (page.events.length < 500) break;
      after = (page.events.at(-1) as { pos: string }).pos;
    }
    expect(ids).toEqual(acknowledged);
  });

  it('an over-budget hub still answers /healthz, /metrics, /admin/stats and POST /disconnect, with the budget figures', async () => {
    const c = await budgetHub(24);
    installMetrics(c.h.hub);
    const admin = installAdmin(c.h.hub, { token: 'admin-token-123' });
    open.push({ close: () => admin.stop() });
    const { held, refused } = await fillWithStalledBodies(c);
    expect((await fetch(`${c.h.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${c.h.url}/metrics`)).text();
    expect(metrics).toContain(`tidings_memory_budget_bytes ${c.budget}`);
    expect(metrics).toMatch(/tidings_memory_used_bytes \d+/);
    expect(metrics).toContain(`tidings_memory_held_bytes{kind="bodies"} ${held.length * BODY_FACTOR * MiB}`);
    expect(metrics).toMatch(/tidings_memory_shed_total\{work="body"\} [1-9]/);
    const stats = await fetch(`${c.h.url}/admin/stats`, {
      headers: { authorization: 'Bearer admin-token-123' },
    });
    expect(stats.status).toBe(200);
    const figures = (await stats.json()) as { process: Record<string, number> };
    expect(figures.process.memoryBudgetBytes).toBe(c.budget);
    expect(figures.process.memoryShed).toBeGreaterThanOrEqual(1);
    const logout = await post(c.h.url, { user: 'nobody' }, { path: '/disconnect' });
    expect(logout.status).toBe(200);
    await endAttack(c, [...held, refused]);
  });

  it('thousands of distinct users and addresses keyed into the rate and connection maps stay within the budget', async () => {
    const auth = { jwt: { secret: SECRET }, publisherKey: PUBLISHER_KEY };
    const c = await budgetHub(48, { auth }, { authorization: `Bearer ${PUBLISHER_KEY}` });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i += 50) {
      const tokens = await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          mint({ sub: `u${i + k}`, tidings: { publish: ['rate/**'], subscribe: ['rate/**'] } }),
        ),
      );
      const answers = await Promise.all(
        tokens.map((t, k) =>
          post(
            c.h.url,
            { topic: `rate/${i + k}`, type: 't', data: 1 },
            { headers: { authorization: `Bearer ${t}` } },
          ),
        ),
      );
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    }
    expect([...statuses.keys()]).toEqual([201]);
    await endAttack(c, []);
  });

  it('300 resumes from distinct unknown ids each get reset unknown-id and cost nothing afterwards', async () => {
    const c = await budgetHub(48);
    for (let i = 0; i < 300; i += 25) {
      const readers = await Promise.all(
        Array.from({ length: 25 }, (_, k) =>
          StreamReader.open(c.h.url, ['unknown'], { lastEventId: `nope-${i + k}-${'q'.repeat(200)}` }),
        ),
      );
      for (const r of readers) {
        expect(r.response.status).toBe(200);
        await r.waitFor((x) => x.of('reset').length === 1);
        expect(JSON.parse(r.of('reset')[0]?.data ?? '{}').reason).toBe('unknown-id');
        await r.close();
      }
    }
    await until(() => c.h.hub.connections().length === 1, 5000);
    await endAttack(c, []);
  });

  it('a replay of a large backlog to a deaf reader holds one page at a time, not the backlog', async () => {
    // A buffer large enough that the deaf reader is not dropped: the replay waits on it.
    const c = await budgetHub(64, { replayPageSize: 50, maxBufferBytes: 64 * MiB });
    const filler = 'r'.repeat(30 * 1024);
    for (let i = 0; i < 20; i++) {
      await c.h.hub.publish(
        Array.from({ length: 50 }, (_, k) => ({ topic: 'backlog', type: 'b', data: { k, filler } })),
      );
    }
    const deaf = await deafStream(
      c.port,
      'topic=backlog',
      `last-event-id: ${c.h.hub.engine.store.idAt('0')}\r\n`,
    );
    expect(deaf.status()).toBe(200);
    let maxHeld = 0;
    const probe = setInterval(() => {
      maxHeld = Math.max(maxHeld, c.h.hub.memory().held.replay);
    }, 2);
    await new Promise((ok) => setTimeout(ok, 1500));
    clearInterval(probe);
    // One page of 50 events of ~30 KiB (counted as UTF-16), never the 1,000-event backlog.
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(50 * (62 * 1024 + 512));
    await endAttack(c, [deaf]);
    await until(() => c.h.hub.memory().held.replay === 0, 5000);
  });

  it('a WebSocket flood of upgrades past the budget is refused without a handshake, and the bystander loses nothing', async () => {
    const c = await budgetHub(16, pressured());
    const { deaf } = await pressure(c);
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const r = raw(
          c.port,
          `GET /ws?topic=x HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
        );
        await until(() => r.text.includes('}}') || r.text.startsWith('HTTP/1.1 101'), 3000);
        return r;
      }),
    );
    for (const a of answers) expectShed(a.status(), a.text, a.text, c.budget);
    await endAttack(c, [...deaf, ...answers]);
  });
});

/** A directory for one case's SQLite history, removed after it. */
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tidings-memory-'));
  open.push({ close: () => rmSync(d, { recursive: true, force: true }) });
  return d;
}
