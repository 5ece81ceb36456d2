import { spawn } from 'node:child_process';
import { type AddressInfo, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { allowAll, type HubOptions } from '../../src/index.js';
import { MAX_TEMPLATES_PER_SUBSCRIPTION } from '../../src/mercure/mercure-options.js';
import {
  MAX_TEMPLATE_LENGTH,
  MAX_TEMPLATE_STATES,
  MAX_TEMPLATE_VARIABLES,
} from '../../src/mercure/uri-template.js';
import { captureLogger } from '../auth-helpers.js';
import { post, type RunningHub, StreamReader, startHub, until } from '../helpers.js';
import { KEYS, MercureReader, mercureToken, publishForm, subscribeAnswer } from '../mercure-helpers.js';
import { WsPeer } from '../ws-helpers.js';
import { Innocent } from './innocent.js';

/**
 * Hostile input to the hub's parsers, over real sockets: WebSocket messages that used to end the
 * process, Mercure template bombs, request heads the stream front must refuse as node:http does,
 * and SSE edge values at /publish. Each case asserts the exact answer, and that an innocent
 * subscriber on the same hub still gets every acknowledged event.
 */

const running: RunningHub[] = [];
const peers: WsPeer[] = [];
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  for (const c of closers.splice(0)) await c();
  for (const h of running.splice(0)) await h.close();
});

async function hub(
  o: HubOptions & { leanStreams?: boolean } = {},
): Promise<RunningHub & { errors: string[] }> {
  const errors: string[] = [];
  const h = await startHub({
    mercure: { ...KEYS, anonymous: true },
    ...o,
    observers: [{ error: (where) => errors.push(where) }, ...(o.observers ?? [])],
  });
  running.push(h);
  return Object.assign(h, { errors });
}

async function bystander(base: string): Promise<Innocent> {
  const i = await Innocent.open(base);
  closers.push(() => i.close());
  await i.publish();
  return i;
}

async function ws(base: string, topics: string[] = []): Promise<WsPeer> {
  const p = await WsPeer.open(base, topics);
  peers.push(p);
  return p;
}

/** The connection still answers: the hub did not die, and this socket was not dropped. */
async function stillServes(p: WsPeer): Promise<void> {
  expect(await p.request({ op: 'ping' })).toMatchObject({ op: 'pong' });
  expect(p.closed).toBeUndefined();
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('WebSocket messages that ended the process', () => {
  it('a subscribe whose topic is {"toString":1} gets nack invalid-pattern, and the hub goes on', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const attacker = await ws(h.url);
    attacker.send('{"op":"subscribe","id":"s1","topics":[{"toString":1}]}');
    const nack = await attacker.waitFor((m) => m.op === 'nack' && m.id === 's1');
    expect(nack.error).toEqual({
      code: 'invalid-pattern',
      message: 'Every entry of "topics" must be a string such as "jobs/42", not an object.',
    });
    await stillServes(attacker);
    await innocent.assertUnharmed();
    expect(h.errors).toEqual([]);
  });

  it('a ping whose v is a 5,000-deep array (12 KB) gets nack invalid-message, never stringified', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const attacker = await ws(h.url);
    attacker.send(`{"op":"ping","id":"p1","v":${deep(5000)}}`);
    const nack = await attacker.waitFor((m) => m.op === 'nack');
    // The depth is checked before parsing, so not even the id is read.
    expect(nack).toEqual({
      op: 'nack',
      id: null,
      error: {
        code: 'invalid-message',
        message: 'The message nests arrays and objects more than 32 deep; send flatter command arguments.',
        limit: 32,
      },
    });
    await stillServes(attacker);
    await innocent.assertUnharmed();
  });

  it('a ping whose v is a 20-deep array or an unprintable object is named by its kind only', async () => {
    const h = await hub();
    const attacker = await ws(h.url);
    attacker.send(`{"op":"ping","id":"p2","v":${deep(20)}}`);
    attacker.send('{"op":"ping","id":"p3","v":{"toString":1,"valueOf":1}}');
    attacker.send(`{"op":"ping","id":"p4","v":"${'x'.repeat(10_000)}"}`);
    const answers = await Promise.all(
      ['p2', 'p3', 'p4'].map((id) => attacker.waitFor((m) => m.op === 'nack' && m.id === id)),
    );
    expect(answers.map((a) => a.error.message)).toEqual([
      'This hub speaks version 1 of the message format, not an array; upgrade the client or leave "v" out.',
      'This hub speaks version 1 of the message format, not an object; upgrade the client or leave "v" out.',
      `This hub speaks version 1 of the message format, not "${'x'.repeat(40)}…"; upgrade the client or leave "v" out.`,
    ]);
    await stillServes(attacker);
  });

  it('a command whose args nest 30,000 deep (60 KB) gets nack invalid-message', async () => {
    const h = await hub();
    h.hub.onCommand('job.pause', () => 'paused');
    const innocent = await bystander(h.url);
    const attacker = await ws(h.url);
    attacker.send(`{"op":"command","id":"c1","name":"job.pause","args":${deep(30_000)}}`);
    const nack = await attacker.waitFor((m) => m.op === 'nack');
    expect(nack.error.code).toBe('invalid-message');
    expect(await attacker.request({ op: 'command', name: 'job.pause', args: [[[1]]] })).toMatchObject({
      op: 'ack',
      result: 'paused',
    });
    await innocent.assertUnharmed();
  });

  it('a subscribe listing 5,000 topics gets nack too-many-topics before any is checked', async () => {
    const h = await hub();
    const attacker = await ws(h.url);
    attacker.send({ op: 'subscribe', id: 's2', topics: Array.from({ length: 5000 }, (_, i) => `t${i}`) });
    const nack = await attacker.waitFor((m) => m.op === 'nack' && m.id === 's2');
    expect(nack.error).toMatchObject({ code: 'too-many-topics', limit: 256 });
    await stillServes(attacker);
  });

  it('odd field names, ops and ids are echoed as short JSON, never converted', async () => {
    const h = await hub();
    const attacker = await ws(h.url);
    attacker.send('{"op":{"toString":1},"id":"o1"}');
    attacker.send(`{"op":"${'z'.repeat(5000)}","id":"o2"}`);
    attacker.send('{"op":"ping","id":"o3","constructor":{"toString":1}}');
    const [a, b, c] = await Promise.all(
      ['o1', 'o2', 'o3'].map((id) => attacker.waitFor((m) => m.op === 'nack' && m.id === id)),
    );
    expect(a?.error.code).toBe('invalid-message');
    expect(b?.error).toEqual({
      code: 'unknown-message',
      message: `The op "${'z'.repeat(40)}…" is unknown; send "subscribe", "unsubscribe", "command" or "ping".`,
    });
    expect(c?.error.message).toBe('A ping message has no field "constructor"; it takes v, id.');
    await stillServes(attacker);
  });

  it('an authorizer that throws a TypeError gets nack internal, logged once and counted once', async () => {
    const logger = captureLogger();
    const h = await hub({
      logger,
      authorizer: {
        ...allowAll,
        async authorizeSubscribe(req, patterns) {
          if (patterns.includes('boom')) throw new TypeError('a bug in the authorizer');
          return allowAll.authorizeSubscribe(req, patterns);
        },
      },
    });
    const innocent = await bystander(h.url);
    const attacker = await ws(h.url);
    const nack = await attacker.request({ op: 'subscribe', topics: ['boom'] });
    expect(nack.error).toEqual({
      code: 'internal',
      message: 'The hub failed to handle this message; it has been logged. Try again.',
    });
    expect(h.errors).toEqual(['websocket']);
    expect(logger.lines.filter((l) => l.includes('a bug in the authorizer'))).toHaveLength(1);
    await stillServes(attacker);
    await innocent.assertUnharmed();
  });

  it('an HTTP route that throws answers 500 with a sentence, logged once and counted once', async () => {
    const logger = captureLogger();
    const h = await hub({ logger });
    h.hub.route('GET', '/boom', () => {
      throw new RangeError('a bug in a route');
    });
    const innocent = await bystander(h.url);
    const res = await fetch(`${h.url}/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        code: 'internal',
        message: 'The hub failed to handle this request; it has been logged. Try again.',
      },
    });
    expect(h.errors).toEqual(['GET /boom']);
    expect(logger.lines.filter((l) => l.includes('a bug in a route'))).toHaveLength(1);
    await innocent.assertUnharmed();
  });
});

describe('the last resort, in its own process', () => {
  it('a hub process answers both WebSocket killers with nacks and keeps running (exit code still null)', async () => {
    // A real process, as `tidings serve` runs one: an uncaught exception here would end it.
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = `
      const { createHub, createHubServer, memoryStore } = await import(${JSON.stringify(dist)});
      const hub = createHub({ store: memoryStore() });
      const server = createHubServer(hub.handleNode);
      server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    closers.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    await until(
      () => out.includes('"port"'),
      10_000,
      () => `the child hub did not start: ${out}`,
    );
    const { port } = JSON.parse(out.slice(out.indexOf('{'), out.indexOf('}') + 1)) as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const innocent = await bystander(base);
    const attacker = await ws(base);
    attacker.send('{"op":"subscribe","id":"k1","topics":[{"toString":1}]}');
    attacker.send(`{"op":"ping","id":"k2","v":${deep(5000)}}`);
    await attacker.waitFor((m) => m.op === 'nack' && m.id === 'k1');
    await attacker.waitFor((m) => m.op === 'nack' && m.id === null);
    await stillServes(attacker);
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await innocent.assertUnharmed();
  });
});

describe('answers that cannot be written', () => {
  it('a route answering a header with a line break gets 500, logged and counted once, and the hub goes on', async () => {
    const logger = captureLogger();
    const h = await hub({ logger });
    h.hub.route('GET', '/split', async () => ({
      status: 200,
      headers: { 'x-injected': 'a\r\nset-cookie: stolen=1' },
      body: '{}',
    }));
    const innocent = await bystander(h.url);
    const res = await fetch(`${h.url}/split`);
    expect(res.status).toBe(500);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await res.json()).error.code).toBe('internal');
    expect(h.errors).toEqual(['node handler']);
    expect(logger.lines.filter((l) => l.includes('"level":"error"'))).toHaveLength(1);
    // The same route asked for with an Upgrade header: the raw answer is refused, the socket closed.
    const s = connect((h.server.address() as AddressInfo).port, '127.0.0.1');
    let buf = '';
    s.on('data', (d) => {
      buf += d;
    });
    s.on('error', () => {});
    const closed = new Promise((r) => s.on('close', r));
    s.write('GET /split HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await closed;
    expect(buf).not.toContain('stolen');
    expect(h.errors).toEqual(['node handler', 'websocket upgrade']);
    await innocent.assertUnharmed();
  });
});

describe('Mercure template bombs', () => {
  const vars = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).join(',');
  const subscribe = (h: RunningHub, ...selectors: string[]) =>
    subscribeAnswer(h.url, selectors.map((s) => `topic=${encodeURIComponent(s)}`).join('&'));

  it('a 2 KB template with 1,024 variables in one expression gets 400 template-too-complex at once', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const bomb = `https://example.com/{${vars(1024)}}`.slice(0, 2047);
    const t0 = performance.now();
    const res = await subscribe(h, bomb);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.status).toBe(400);
    const { error } = JSON.parse(res.body);
    expect(error.code).toBe('template-too-complex');
    expect(error.message).toContain(`templates may have at most ${MAX_TEMPLATE_LENGTH}`);
    await innocent.assertUnharmed();
  });

  it('seven bombs in one anonymous request do not hold up a concurrent request', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const bombs = Array.from(
      { length: 7 },
      (_, k) => `https://e.com/${k}/{${vars(MAX_TEMPLATE_VARIABLES + 1)}}`,
    );
    const attack = subscribe(h, ...bombs);
    const t0 = performance.now();
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(1000);
    const res = await attack;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'template-too-complex' });
    expect(JSON.parse(res.body).error.message).toContain(
      `has ${MAX_TEMPLATE_VARIABLES + 1} variables, and the limit is ${MAX_TEMPLATE_VARIABLES}`,
    );
    await innocent.assertUnharmed();
  });

  it('a template that compiles past the state cap gets 400 naming the cap', async () => {
    const h = await hub();
    const res = await subscribe(h, `x${`{;${vars(MAX_TEMPLATE_VARIABLES)}}`.repeat(6)}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toContain(`more than ${MAX_TEMPLATE_STATES} automaton states`);
  });

  it('one template too many gets 400 too-many-templates', async () => {
    const h = await hub();
    const many = Array.from(
      { length: MAX_TEMPLATES_PER_SUBSCRIPTION + 1 },
      (_, i) => `https://e.com/${i}/{id}`,
    );
    const res = await subscribe(h, ...many);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: 'too-many-templates',
      limit: MAX_TEMPLATES_PER_SUBSCRIPTION,
    });
    expect((await subscribe(h, ...many.slice(1))).status).toBe(200);
  });

  it('the costliest accepted templates still deliver updates on 2 KB topics, and the bystander too', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const templates = Array.from(
      { length: MAX_TEMPLATES_PER_SUBSCRIPTION },
      (_, i) => `x${i}${'{+a}'.repeat(16)}`,
    );
    const reader = await MercureReader.open(h.url, [...templates, 'https://example.com/sentinel']);
    closers.push(() => reader.close());
    const longTopic = `x0${'a;/?=&,'.repeat(290)}`.slice(0, 2048);
    const token = await mercureToken({ publish: ['*'] });
    for (let i = 0; i < 5; i++)
      expect((await publishForm(h.url, { topic: longTopic, data: `${i}` }, { token })).status).toBe(200);
    await reader.waitFor((r) => r.data.length >= 5, 10_000);
    expect(reader.data).toEqual(['0', '1', '2', '3', '4']);
    await innocent.assertUnharmed();
  });
});

describe('request heads: the stream front answers as node:http does', () => {
  /** Sends `head` to a hub with the stream front and to one without; returns both status lines. */
  async function both(head: string): Promise<[string, string]> {
    const lean = await hub();
    const plain = await hub({ leanStreams: false });
    const answer = async (h: RunningHub) => {
      const s = connect((h.server.address() as AddressInfo).port, '127.0.0.1');
      let buf = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        buf += d;
      });
      s.on('error', () => {});
      s.write(head);
      // Status lines arrive at once (a 408 would take headersTimeoutMs, 10 s).
      await until(
        () => buf.includes('\r\n'),
        3000,
        () => `no answer to ${JSON.stringify(head.slice(0, 60))}`,
      );
      s.destroy();
      return buf.slice(0, buf.indexOf('\r\n'));
    };
    return [await answer(lean), await answer(plain)];
  }

  // The stream front hands every unusual head to node:http, whose llhttp changed its answers
  // between majors; the front must give whatever node:http gives on the Node it runs on.
  const major = Number(process.versions.node.split('.')[0]);

  it('Content-Length: 0 followed by a tab gets what node:http answers: 400 on Node 20, 200 from Node 22', async () => {
    const [lean, plain] = await both(
      'GET /events?topic=a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\t\r\n\r\n',
    );
    expect(lean).toBe(major <= 20 ? 'HTTP/1.1 400 Bad Request' : 'HTTP/1.1 200 OK');
    expect(plain).toBe(lean);
  });

  it('a bare-LF request line gets 400 at once from both, not a 408 later', async () => {
    const [lean, plain] = await both('GET /events?topic=a HTTP/1.1\nHost: h\n\n');
    expect(lean).toBe('HTTP/1.1 400 Bad Request');
    expect(plain).toBe(lean);
  });

  it('a CR not followed by LF in a header gets 400 from both', async () => {
    const [lean, plain] = await both('GET /events?topic=a HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n');
    expect(lean).toBe('HTTP/1.1 400 Bad Request');
    expect(plain).toBe(lean);
  });

  it('a Host sent as the 1,001st header is not read: 400 on Node 20, 431 from Node 22, the same from both', async () => {
    const filler = Array.from({ length: 1000 }, (_, i) => `X-${i}: a\r\n`).join('');
    const [lean, plain] = await both(`GET /events?topic=a HTTP/1.1\r\n${filler}Host: h\r\n\r\n`);
    expect(lean).toBe(
      major <= 20 ? 'HTTP/1.1 400 Bad Request' : 'HTTP/1.1 431 Request Header Fields Too Large',
    );
    expect(plain).toBe(lean);
  });

  it('the same stream request with Host as the 1,000th header opens on both', async () => {
    const filler = Array.from({ length: 999 }, (_, i) => `X-${i}: a\r\n`).join('');
    const [lean, plain] = await both(`GET /events?topic=a HTTP/1.1\r\n${filler}Host: h\r\n\r\n`);
    expect(lean).toBe('HTTP/1.1 200 OK');
    expect(plain).toBe(lean);
  });

  it('a 16 KB head sent in 1-byte writes opens the stream once its blank line arrives', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const s = connect((h.server.address() as AddressInfo).port, '127.0.0.1');
    s.setNoDelay(true);
    let buf = '';
    s.on('data', (d) => {
      buf += d;
    });
    s.on('error', () => {});
    closers.push(() => void s.destroy());
    const head = Buffer.from(`GET /events?topic=a HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(16_000)}\r\n\r\n`);
    for (let i = 0; i < head.length; i += 64) {
      for (let j = i; j < Math.min(i + 64, head.length); j++) s.write(head.subarray(j, j + 1));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => buf.includes('event: connected'), 5000);
    expect(buf.startsWith('HTTP/1.1 200 OK')).toBe(true);
    await innocent.assertUnharmed();
  });
});

describe('SSE edge values at /publish', () => {
  it('an empty event type gets 400 invalid-event', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const res = await post(h.url, { topic: 'a', type: '', data: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'invalid-event',
      message: 'The event "type" must be a non-empty string such as "lease-added".',
    });
    await innocent.assertUnharmed();
  });

  it('a 100 KB topic gets 400 invalid-topic that echoes at most 256 characters of it', async () => {
    const h = await hub();
    const innocent = await bystander(h.url);
    const res = await post(h.url, { topic: `a/${'b'.repeat(100_000)}`, type: 't', data: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid-topic');
    expect(res.body.error.topic).toHaveLength(256);
    expect(JSON.stringify(res.body).length).toBeLessThan(1024);
    await innocent.assertUnharmed();
  });

  it('an id holding a lone surrogate gets 400 invalid-event', async () => {
    const h = await hub();
    const res = await post(h.url, null, { raw: '{"topic":"a","type":"t","data":1,"id":"x\\ud800"}' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid-event');
    expect(res.body.error.message).toBe(
      'The event id may only contain printable characters: no line breaks, tabs or NUL.',
    );
  });

  it('data holding a lone surrogate is delivered exactly (JSON escapes it)', async () => {
    const h = await hub();
    const reader = await StreamReader.open(h.url, ['edge']);
    closers.push(() => reader.close());
    await reader.waitFor((r) => r.of('connected').length > 0);
    const res = await post(h.url, null, { raw: '{"topic":"edge","type":"t","data":{"s":"a\\ud800b"}}' });
    expect(res.status).toBe(201);
    await until(() => reader.events.length > 0);
    expect(reader.events[0]?.data).toEqual({ s: 'a\ud800b' });
  });

  it('a Mercure retry of 1e21 gets 400, and one of 999999999 is written as digits', async () => {
    const h = await hub();
    const token = await mercureToken({ publish: ['*'] });
    const bad = await publishForm(h.url, { topic: 'https://e.com/1', data: 'x', retry: '1e21' }, { token });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toBe(
      'The "retry" field must be a whole number of milliseconds, not "1e21".',
    );
    const huge = await publishForm(
      h.url,
      { topic: 'https://e.com/1', data: 'x', retry: '1000000000000000000000' },
      { token },
    );
    expect(huge.status).toBe(400);
    const reader = await MercureReader.open(h.url, ['https://e.com/1']);
    closers.push(() => reader.close());
    expect(
      (await publishForm(h.url, { topic: 'https://e.com/1', data: 'x', retry: '999999999' }, { token }))
        .status,
    ).toBe(200);
    await until(() => reader.raw.includes('retry: 999999999\n'));
  });

  it('hub options refuse a retry the SSE format would print in exponent form', async () => {
    await expect(startHub({ retryMs: 1e21 })).rejects.toThrow(
      'Hub option retryMs must be a positive integer, not 1e+21.',
    );
  });
});
