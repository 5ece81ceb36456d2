import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ServeProcess, serve } from '../../cli/test/spawn-cli.js';
import { mint, SECRET } from './auth-helpers.js';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';

/**
 * `POST /publish` answered by the stream front on the bare socket (`KeptAliveConnection`):
 * pipelining, split bodies, limits, authorization, the same answers as node:http, and durability
 * of what it acknowledged across `kill -9`.
 */

const running: RunningHub[] = [];
const sockets: Socket[] = [];
const dirs: string[] = [];
const procs: ServeProcess[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const h of running.splice(0)) await h.close();
});
afterAll(() => {
  for (const p of procs) p.proc.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function hub(
  opts: Parameters<typeof startHub>[0] = {},
): Promise<RunningHub & { port: number; requests: string[] }> {
  const h = await startHub(opts);
  running.push(h);
  // Requests node:http parsed: the front's publishes never show up here.
  const requests: string[] = [];
  h.server.on('request', (req) => requests.push(`${req.method} ${req.url}`));
  return Object.assign(h, { port: (h.server.address() as AddressInfo).port, requests });
}

function rawSocket(port: number): Socket & { text(): string; ended: Promise<string> } {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => {
    buf += d;
  });
  s.on('error', () => {});
  const closed = new Promise<string>((r) => s.on('close', () => r(buf)));
  return Object.assign(s, { text: () => buf, ended: closed });
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server sent into responses (each with a Content-Length). */
function answers(raw: string): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = raw.slice(at, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(lines[0]?.slice(9, 12)), headers, body: raw.slice(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  return out;
}

function publishRequest(body: string, extra = '', contentType = 'application/json'): string {
  return `POST /publish HTTP/1.1\r\nHost: hub\r\nContent-Type: ${contentType}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const event = (n: number, topic = 'news') => JSON.stringify({ topic, type: 't', data: { n } });

describe('POST /publish on the stream front', () => {
  it('answers 200 pipelined publishes in request order, in few writes, without node:http', async () => {
    const h = await hub();
    const reader = await StreamReader.open(h.url, ['news']);
    const s = rawSocket(h.port);
    const n = 200;
    s.write(Array.from({ length: n }, (_, i) => publishRequest(event(i))).join(''));
    await until(() => answers(s.text()).length === n);
    const got = answers(s.text());
    expect(got.map((a) => a.status)).toEqual(new Array(n).fill(201));
    expect(got[0]?.headers.connection).toBe('keep-alive');
    expect(got[0]?.headers['keep-alive']).toMatch(/^timeout=\d+$/);
    const ids = got.map((a) => (JSON.parse(a.body) as { id: string }).id);
    await reader.waitFor((r) => r.of('t').length === n);
    // Answers in request order: the n-th answer carries the id of the n-th event.
    expect(reader.of('t').map((e) => e.id)).toEqual(ids);
    expect(reader.of('t').map((e) => Number(/"n":(\d+)/.exec(e.data)?.[1]))).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect(h.requests).toEqual([]);
    await reader.close();
  });

  it('reads heads split across packets a byte at a time; a body not sent with its head goes to node:http', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    const bytes = Buffer.from(publishRequest(event(1)) + publishRequest(event(2)));
    for (const b of bytes) {
      s.write(Buffer.of(b));
      await new Promise((r) => setImmediate(r));
    }
    await until(() => answers(s.text()).length === 2);
    expect(answers(s.text()).map((a) => a.status)).toEqual([201, 201]);
    // The first head was whole before its body came: node:http had the rest of the connection.
    expect(h.requests).toEqual(['POST /publish', 'POST /publish']);
    // Head and body in one packet, then a head in pieces with its body: the front answers both.
    const t = rawSocket(h.port);
    t.write(publishRequest(event(3)));
    const second = Buffer.from(publishRequest(event(4)));
    await until(() => answers(t.text()).length === 1);
    t.write(second.subarray(0, 20));
    await new Promise((r) => setTimeout(r, 20));
    t.write(second.subarray(20));
    await until(() => answers(t.text()).length === 2);
    expect(answers(t.text()).map((a) => a.status)).toEqual([201, 201]);
    expect(h.requests).toHaveLength(2);
  });

  it('answers a body over maxBodyBytes with 413 and a sentence (node:http does, handed the request)', async () => {
    const h = await hub({ maxBodyBytes: 1000 });
    const s = rawSocket(h.port);
    const big = JSON.stringify({ topic: 'news', type: 't', data: 'x'.repeat(2000) });
    s.write(publishRequest(event(1)) + publishRequest(big));
    await until(() => answers(s.text()).length === 2);
    const got = answers(s.text());
    expect(got.map((a) => a.status)).toEqual([201, 413]);
    const err = JSON.parse(got[1]?.body ?? '{}').error as { code: string; message: string };
    expect(err.code).toBe('payload-too-large');
    expect(err.message).toMatch(/larger than the hub's limit of 1000 bytes;.*\.$/);
  });

  it('answers a body that is not JSON with 415 and keeps the connection', async () => {
    const h = await hub();
    const s = rawSocket(h.port);
    s.write(publishRequest('a=1', '', 'application/x-www-form-urlencoded') + publishRequest(event(1)));
    await until(() => answers(s.text()).length === 2);
    const got = answers(s.text());
    expect(got.map((a) => a.status)).toEqual([415, 201]);
    expect(JSON.parse(got[0]?.body ?? '{}').error.message).toBe(
      'POST /publish takes application/json, not application/x-www-form-urlencoded.',
    );
  });

  it('answers authorization failures with their exact statuses', async () => {
    const h = await hub({ auth: { jwt: { secret: SECRET } } });
    const reader = await mint({ sub: 'r', tidings: { subscribe: ['news'] } });
    const writer = await mint({ sub: 'w', tidings: { publish: ['news'] } });
    const s = rawSocket(h.port);
    s.write(
      publishRequest(event(1)) +
        publishRequest(event(2), 'Authorization: Bearer not-a-token\r\n') +
        publishRequest(event(3), `Authorization: Bearer ${reader}\r\n`) +
        publishRequest(event(4, 'other'), `Authorization: Bearer ${writer}\r\n`) +
        publishRequest(event(5), `Authorization: Bearer ${writer}\r\n`),
    );
    await until(() => answers(s.text()).length === 5);
    expect(answers(s.text()).map((a) => a.status)).toEqual([401, 401, 403, 403, 201]);
    expect(h.requests).toEqual([]);
  });

  it('gives node:http the same answer for every head, served by the front or not', async () => {
    const cases = [
      publishRequest(event(1)),
      publishRequest('{"topic":'),
      publishRequest('[]'),
      publishRequest(JSON.stringify({ topic: '$sys/x', type: 't', data: 1 })),
      publishRequest(event(1), '', 'text/plain'),
      publishRequest(event(1), 'Connection: close\r\n'),
      publishRequest(event(1), 'Connection: Keep-Alive\r\n'),
      publishRequest(event(1)).replace('HTTP/1.1', 'HTTP/1.0'),
      publishRequest(event(1)).replace('Content-Length: ', 'Content-Length: 0'),
      `POST /publish HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(event(1)).toString(16)}\r\n${event(1)}\r\n0\r\n\r\n`,
      `POST /publish HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n\r\n`,
      `POST /publish?x=1 HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`,
      `POST /publish HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      `POST /nothing HTTP/1.1\r\nHost: hub\r\nContent-Length: 2\r\n\r\n{}`,
    ];
    const lean = await hub();
    const plain = await hub({ leanStreams: false });
    // Date varies. Connection may too: node:http closes after an answer given before it read
    // the body (a 415 in the same packet as its body), where the front has read it and keeps
    // the connection open.
    const comparable = (raw: string) =>
      answers(raw).map((a) => {
        const { date: _d, connection: _c, 'keep-alive': _k, ...headers } = a.headers;
        const body = a.body.replace(/"id":"[^"]+"/, '"id":"…"');
        return { status: a.status, headers, body };
      });
    for (const req of cases) {
      const got: string[] = [];
      for (const h of [lean, plain]) {
        const s = rawSocket(h.port);
        s.write(req);
        // Answered, or closed: then read what came.
        await Promise.race([s.ended, until(() => answers(s.text()).length > 0).then(() => s.text())]);
        await new Promise((r) => setTimeout(r, 20));
        got.push(s.text());
        s.destroy();
      }
      expect(comparable(got[0] as string), req).toEqual(comparable(got[1] as string));
      expect(answers(got[0] as string).length, req).toBeGreaterThan(0);
    }
  });
});

describe('POST /publish on the stream front, durability (SQLite)', () => {
  it('every pipelined publish it acknowledged survives kill -9 of the hub', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-front-kill9-'));
    dirs.push(dir);
    let p = await serve(['--data', dir]);
    procs.push(p);
    const { port } = new URL(p.url);
    const s = rawSocket(Number(port));
    const acked: string[] = [];
    let sent = 0;
    // Keep 64 requests in flight until 500 are acknowledged, then kill the hub mid-stream.
    let seen = 0;
    const pump = () => {
      const got = answers(s.text());
      for (; seen < got.length; seen++) {
        const a = got[seen] as Answer;
        expect(a.status).toBe(201);
        acked.push((JSON.parse(a.body) as { id: string }).id);
      }
      let out = '';
      while (sent - acked.length < 64) out += publishRequest(event(sent++, 'durable'));
      if (out) s.write(out);
    };
    s.on('data', pump);
    pump();
    await until(() => acked.length >= 500, 20_000);
    p.proc.kill('SIGKILL');
    expect(await p.exited).toBe('SIGKILL');
    s.off('data', pump);
    const ledger = acked.slice();
    p = await serve(['--data', dir]);
    procs.push(p);
    // History from the start of the topic: every acknowledged id, in acknowledgement order.
    const res = await fetch(`${p.url}/events?topic=durable`, {
      headers: { 'last-event-id': ledger[0] as string },
    });
    expect(res.status).toBe(200);
    const text = await readFor(res, ledger.at(-1) as string);
    const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    expect(ids.slice(0, ledger.length - 1)).toEqual(ledger.slice(1));
    p.proc.kill('SIGKILL');
  }, 60_000);
});

/** Reads a stream until `id` arrived (or 10 s passed). */
async function readFor(res: Response, id: string): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let text = '';
  const end = Date.now() + 10_000;
  while (!text.includes(`id: ${id}\n`) && Date.now() < end) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}
