import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fuzzParams } from '../../../../test/fuzz.js';
import { HAND_OFF, HeadReader, INCOMPLETE, NODE_MAX_HEADERS, type SimpleHead } from './request-head.js';

/**
 * The request-head reader against node:http's own parser (llhttp), over a real socket: the same
 * bytes go to both. Whatever the reader serves, node must serve too, with the same target and
 * headers; whenever the reader waits for more bytes, node must be waiting too (it reports the
 * end of input, not an error in the bytes). The reader may hand off anything else.
 */

const MAX = 700;

interface NodeAnswer {
  /** 'request' when node:http dispatched a request, else the clientError code. */
  kind: string;
  url?: string;
  headers?: IncomingMessage['headers'];
}

let server: Server;
let port = 0;
const answers = new Map<string, NodeAnswer>();

beforeAll(async () => {
  server = createServer({ maxHeaderSize: MAX }, (req, res) => {
    answers.set(String(req.socket.remotePort), { kind: 'request', url: req.url, headers: req.headers });
    res.end();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    answers.set(String(socket.remotePort), { kind: err.code ?? 'error' });
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Sends `bytes` to node:http, ends the socket and reports what node made of them. */
function askNode(bytes: Buffer): Promise<NodeAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let local = '';
    s.on('connect', () => {
      local = String(s.localPort);
      s.end(bytes);
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      // Both sides are on this process: by the time the socket closed, the answer is recorded.
      setImmediate(() => {
        const a = answers.get(local);
        answers.delete(local);
        if (a) resolve(a);
        else
          reject(
            new Error(`node:http neither served nor refused ${JSON.stringify(bytes.toString('latin1'))}`),
          );
      });
    });
  });
}

const EOL = fc.constantFrom('\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', '\r\r\n', ' \r\n');
const byte = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }),
  fc.constantFrom(0, 9, 10, 13, 32, 127, 0x80, 0xe9, 0xff),
);
const bytesText = (max: number) => fc.array(byte, { maxLength: max }).map((a) => String.fromCharCode(...a));
const headerName = fc.oneof(
  fc.constantFrom(
    'Host',
    'host',
    'HOST',
    'Content-Length',
    'content-length',
    'Accept',
    'Last-Event-ID',
    'Authorization',
    'Cookie',
    'Transfer-Encoding',
    'Upgrade',
    'Connection',
    'Expect',
    'X-A',
  ),
  fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/),
  bytesText(6),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    '0',
    '0\t',
    ' 0 ',
    '\t0',
    '00',
    '1',
    '-0',
    '+0',
    '0,0',
    '0 0',
    'chunked',
    'hub',
    'keep-alive',
    '',
  ),
  fc.stringMatching(/^[ \t!-~]{0,20}$/),
  bytesText(20),
);
const sep = fc.constantFrom(':', ': ', ':\t', ' :', ':  ', '');
const hostileHeader = fc.tuple(headerName, sep, headerValue, EOL).map(([n, s, v, e]) => `${n}${s}${v}${e}`);
const plainHeader = fc
  .tuple(
    fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/),
    fc.constantFrom(': ', ':', ':\t'),
    fc.oneof(fc.stringMatching(/^[ \t!-~]{0,20}$/), fc.constantFrom('0', ' 0', '0 ', 'caf\xe9')),
  )
  .map(([n, s, v]) => `${n}${s}${v}\r\n`);
const header = fc.oneof({ arbitrary: plainHeader, weight: 6 }, { arbitrary: hostileHeader, weight: 1 });
const head = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'get', 'POST', 'GET '),
    target: fc.oneof(
      fc.constantFrom('/events?topic=a', '/', '/x#frag', '/a{}|^`', '/?a=%2F'),
      bytesText(24).map((t) => `/${t}`),
    ),
    version: fc.constantFrom(
      'HTTP/1.1',
      'HTTP/1.1',
      'HTTP/1.1',
      'HTTP/1.1',
      'HTTP/1.0',
      'HTTP/1.2',
      'HTTP/2.0',
      'http/1.1',
      ' HTTP/1.1',
    ),
    eol: EOL,
    host: fc.constantFrom('Host: hub\r\n', 'Host: hub\r\n', 'host:hub\r\n', 'Host:\thub\t\r\n', ''),
    headers: fc.array(header, { maxLength: 6 }),
    end: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '', '\r'),
    padding: fc.nat({ max: 3 }).map((n) => (n === 3 ? `${'X-Pad: '.padEnd(MAX - 40, 'p')}\r\n` : '')),
  })
  .map(
    (h) => `${h.method} ${h.target} ${h.version}${h.eol}${h.host}${h.padding}${h.headers.join('')}${h.end}`,
  );
/** A head the reader should serve, unless a header name repeats: the accepting side gets checked. */
const plainHead = fc
  .record({
    target: fc.oneof(
      fc.constantFrom('/events?topic=a', '/', '/x#frag', '/a{}|^`'),
      fc.stringMatching(/^\/[!-~]{0,20}$/),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
    headers: fc.array(plainHeader, { maxLength: 5 }),
  })
  .map((h) => `GET ${h.target} ${h.version}\r\nHost: hub\r\n${h.headers.join('')}\r\n`);
/** A head, then maybe one byte replaced, inserted or deleted, or its end cut off. */
const mutated = fc
  .tuple(
    fc.oneof({ arbitrary: plainHead, weight: 1 }, { arbitrary: head, weight: 2 }),
    fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2)), { freq: 2 }),
    fc.oneof(
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 1 },
    ),
  )
  .map(([text, m, cut]) => {
    const b = [...Buffer.from(text, 'latin1')];
    if (cut !== null) b.length = Math.max(1, b.length - cut);
    if (m) {
      const [at, v, how] = m;
      const i = at % (b.length + 1);
      if (how === 0 && i < b.length) b[i] = v;
      else if (how === 1) b.splice(i, 0, v);
      else b.splice(i, 1);
    }
    return Buffer.from(b);
  });

/** What the reader makes of `bytes` fed in the given pieces. */
function readInPieces(bytes: Buffer, cuts: number[]): SimpleHead | typeof INCOMPLETE | typeof HAND_OFF {
  const r = new HeadReader(MAX, NODE_MAX_HEADERS);
  let at = 0;
  let out: SimpleHead | typeof INCOMPLETE | typeof HAND_OFF = INCOMPLETE;
  for (const c of [...cuts.map((n) => n % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    if (c < at) continue;
    out = r.push(bytes.subarray(at, c));
    at = c;
  }
  return out;
}

/** How often each outcome came up, so a run shows that it explored more than hand-offs. */
const outcomes = { served: 0, waited: 0, handedOff: 0 };

async function agree(bytes: Buffer, cuts: number[]): Promise<void> {
  // Nothing sent: node:http has nothing to answer either.
  if (bytes.length === 0) return;
  const whole = new HeadReader(MAX, NODE_MAX_HEADERS).push(bytes);
  // Split anywhere, the reader says the same: it keeps no state a chunk boundary could confuse.
  const pieces = readInPieces(bytes, cuts);
  expect(typeof pieces === 'object' ? { ...pieces, headers: [...pieces.headers] } : pieces).toEqual(
    typeof whole === 'object' ? { ...whole, headers: [...whole.headers] } : whole,
  );
  if (whole === HAND_OFF) {
    outcomes.handedOff++;
    return;
  }
  if (whole === INCOMPLETE) outcomes.waited++;
  else outcomes.served++;
  if (whole !== INCOMPLETE && whole.length !== bytes.length) return; // pipelined: handed off
  const node = await askNode(bytes);
  const shown = JSON.stringify(bytes.toString('latin1'));
  if (whole === INCOMPLETE) {
    // Waiting is right only when node would wait too: it reports the end of input.
    expect(node.kind, `the reader waits for more of ${shown}`).toBe('HPE_INVALID_EOF_STATE');
    return;
  }
  expect(node.kind, `the reader serves ${shown}`).toBe('request');
  expect(node.url).toBe(whole.target);
  expect(node.headers).toEqual(Object.fromEntries(whole.headers));
}

describe('HeadReader against node:http', () => {
  it('serves only heads node:http serves, with the same target and headers, and waits only when node waits', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.array(fc.nat(), { maxLength: 4 }), agree),
      fuzzParams(300, 1),
    );
    if (process.env.TIDINGS_FUZZ_STATS) console.log(outcomes);
    // The generator must reach every outcome, or the property checks little.
    expect(outcomes.served).toBeGreaterThan(10);
    expect(outcomes.waited).toBeGreaterThan(10);
  });

  it('agrees on the named edge cases', async () => {
    const cases = [
      'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\t\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0 \r\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\t0\r\n\r\n',
      'GET / HTTP/1.1\nHost: h\n\n',
      'GET / HTTP/1.1\r\nHost: h\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\n\n',
      'GET / HTTP/1.1\rHost: h\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n',
      `GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX - 30)}\r\nHost: h\r\n\r\n`,
    ];
    for (const c of cases) await agree(Buffer.from(c, 'latin1'), [1, 7, 20]);
  });

  it('reads no header past the 1,000th, as node:http ignores them', async () => {
    const many = (n: number, last: string) =>
      `GET / HTTP/1.1\r\nHost: h\r\n${Array.from({ length: n - 2 }, (_, i) => `X-${i}: a\r\n`).join('')}${last}\r\n\r\n`;
    const r = (text: string) => new HeadReader(64 * 1024).push(Buffer.from(text));
    expect(typeof r(many(NODE_MAX_HEADERS, 'Authorization: z'))).toBe('object');
    expect(r(many(NODE_MAX_HEADERS + 1, 'Authorization: z'))).toBe(HAND_OFF);
    expect(new HeadReader(64 * 1024, 3).push(Buffer.from(many(4, 'X: 1')))).toBe(HAND_OFF);
  });

  it('looks at each byte of a head sent a byte at a time once', () => {
    // Counted, not timed: a re-parse on every byte would look at 16 KiB × 16 KiB / 2 bytes.
    const text = `GET /events HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(16 * 1024 - 40)}\r\n\r\n`;
    const bytes = Buffer.from(text);
    const r = new HeadReader(32 * 1024);
    const step = vi.spyOn(HeadReader.prototype as unknown as { step: () => boolean }, 'step');
    let last: ReturnType<HeadReader['push']> = INCOMPLETE;
    for (let i = 0; i < bytes.length; i++) last = r.push(bytes.subarray(i, i + 1));
    expect(step).toHaveBeenCalledTimes(bytes.length);
    step.mockRestore();
    expect(typeof last).toBe('object');
    expect((last as SimpleHead).length).toBe(bytes.length);
    expect(r.bytes.equals(bytes)).toBe(true);
  });
});
