// One load-generator process: holds up to ~18,000 SSE streams (the per-process open-file limit is
// 20,000) on raw sockets, counts and times the benchmark events, and reports to the runner over IPC.
import { connect, type Socket } from 'node:net';
import type { AgentCommand, AgentMessage, OpenCommand } from './agent-messages.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { nowUs } from './http-publisher.js';
import { LatencyHistogram } from './latency-histogram.js';
import { SseStreamReader } from './sse-stream-reader.js';

const send = (m: AgentMessage) => process.send?.(m);
/** One read buffer shared by every socket: reads are handled synchronously, nothing is allocated per read. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const MAX_CONNECTING = 256;

let ledger = new DeliveryLedger(0);
let latency = new LatencyHistogram();
let plan: OpenCommand | undefined;
let sockets: Array<Socket | undefined> = [];
let readers: SseStreamReader[] = [];
let open = 0;
let failed = 0;
let received = 0;
let reads = 0;
let closing = false;
const errors: string[] = [];
let readNow = 0;
let queue: number[] = [];
let connecting = 0;

/**
 * {@link nowUs} without its BigInt division, which costs more than the rest of a small read: the
 * same monotonic clock (performance.now() reads it too), anchored once to nowUs so times stay
 * comparable with the publisher's in other processes.
 */
const CLOCK_ORIGIN_US = nowUs() - performance.now() * 1000;
const clockUs = () => CLOCK_ORIGIN_US + performance.now() * 1000;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function noteError(msg: string): void {
  failed++;
  if (errors.length < 5) errors.push(msg);
}

function connectOne(i: number): void {
  const p = plan!;
  connecting++;
  const prev = readers[i];
  const resumeFrom = p.reconnect ? prev?.lastId : undefined;
  const reader = new SseStreamReader((seq, sent) => {
    received++;
    ledger.record(i, seq);
    latency.record(readNow - sent);
  }, p.reconnect);
  if (prev?.lastId) reader.lastId = prev.lastId;
  readers[i] = reader;
  let isOpen = false;
  const s = connect({
    port: p.port,
    host: '127.0.0.1',
    localAddress: p.localAddresses[i % p.localAddresses.length],
    onread: {
      buffer: READ_BUFFER,
      callback(n) {
        reads++;
        readNow = clockUs();
        reader.push(READ_BUFFER, 0, n);
        if (!isOpen && reader.status !== 0) {
          if (reader.status === 200) {
            isOpen = true;
            open++;
            connecting--;
            pump();
          } else {
            noteError(
              `A subscriber got status ${reader.status} instead of 200${p.reconnect ? ' (retrying)' : ''}.`,
            );
            s.destroy();
          }
        }
        return true;
      },
    },
  });
  sockets[i] = s;
  s.setNoDelay(true);
  s.on('connect', () => {
    s.write(
      `GET ${p.paths[i]} HTTP/1.1\r\nhost: 127.0.0.1:${p.port}\r\naccept: text/event-stream\r\n${
        resumeFrom ? `last-event-id: ${resumeFrom}\r\n` : ''
      }\r\n`,
    );
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (!closing && !p.reconnect) noteError(`A subscriber's connection failed: ${e.code ?? e.message}.`);
  });
  s.on('close', () => {
    if (isOpen) open--;
    else connecting--;
    if (closing) return;
    if (p.reconnect) {
      // Like EventSource, but quicker than a 3 s retry: a storm of 10k clients within ~250 ms.
      setTimeout(() => connectOne(i), 50 + Math.random() * 200);
      return;
    }
    if (isOpen) noteError('The server closed a subscriber stream.');
    pump();
  });
}

function pump(): void {
  while (connecting < MAX_CONNECTING && queue.length > 0) connectOne(queue.shift()!);
}

function tick(): void {
  send({
    t: 'tick',
    open,
    failed,
    received,
    reads,
    low: ledger.lowestHighest(),
    cpu: cpuSeconds(),
    errors,
  });
}

process.on('message', (m: AgentCommand) => {
  switch (m.t) {
    case 'open':
      plan = m;
      ledger = new DeliveryLedger(m.paths.length);
      latency = new LatencyHistogram();
      sockets = new Array(m.paths.length);
      readers = new Array(m.paths.length);
      queue = m.paths.map((_, i) => i);
      pump();
      break;
    case 'reset-latency':
      latency = new LatencyHistogram();
      break;
    case 'collect': {
      const exp = m.expected;
      send({
        t: 'collected',
        summary: ledger.summary(typeof exp === 'number' ? () => exp : (sub) => exp[sub] ?? 0),
        latency: { sparse: latency.toSparse(), max: latency.max, sum: latency.sum },
        cpu: cpuSeconds(),
      });
      break;
    }
    case 'close':
      closing = true;
      for (const s of sockets) s?.destroy();
      setTimeout(() => process.exit(0), 50);
      break;
  }
});

setInterval(tick, 20);
process.on('disconnect', () => process.exit(0));
