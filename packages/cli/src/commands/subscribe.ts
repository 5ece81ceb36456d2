import { validatePattern } from '@tidings/protocol';
import { createParser } from 'eventsource-parser';
import { parseFlags } from '../args.js';
import { endpoint, HubRequestError, hubErrorMessage } from '../hub-http.js';
import { parseHubUrl, parsePositiveInt } from '../parse-values.js';
import { clock, colorFor, painter, preview } from '../pretty.js';
import { EXIT, UsageError } from '../usage-error.js';

export const SUBSCRIBE_USAGE = `Usage: tidings subscribe [options] <topic|pattern>...

Tails events in the terminal; reconnects and resumes without loss.
Patterns: "*" is one segment, a trailing "**" any number, e.g. tenant/acme/**.

Options:
  --url <url>              The hub's address (or $TIDINGS_URL)   [http://127.0.0.1:8080]
  --last-event-id <id>     Start by replaying everything after this id
  --count <n>              Exit after n events
  --json                   Print each event envelope as one JSON line
  --token <jwt>            Bearer token (or $TIDINGS_TOKEN)
  -h, --help               Show this help
`;

interface Envelope {
  id: string;
  topic: string;
  type: string;
  time: string;
  data: unknown;
}

/** `tidings subscribe`: runs until interrupted or `--count` events arrived. */
export async function subscribe(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    url: { type: 'string' },
    'last-event-id': { type: 'string' },
    count: { type: 'string' },
    json: { type: 'boolean' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SUBSCRIBE_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new UsageError(
      "Name at least one topic or pattern, e.g. tidings subscribe leases 'tenant/acme/**'.",
    );
  for (const t of positionals) {
    const err = validatePattern(t);
    if (err) throw new UsageError(err.message);
  }
  const limit =
    values.count === undefined ? Number.POSITIVE_INFINITY : parsePositiveInt('count', values.count);
  const base = parseHubUrl(values.url ?? process.env.TIDINGS_URL ?? 'http://127.0.0.1:8080');
  const url = endpoint(base, '/events');
  for (const t of positionals) url.searchParams.append('topic', t);
  const token = values.token ?? process.env.TIDINGS_TOKEN;
  const out = painter(process.stdout);
  const err = painter(process.stderr);
  const note = (msg: string) => process.stderr.write(`${err('dim', msg)}\n`);

  let lastEventId = values['last-event-id'];
  let received = 0;
  let attempt = 0;
  let retryMs = 1000;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());

  while (!stop.signal.aborted && received < limit) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: stop.signal });
    } catch (e) {
      if (stop.signal.aborted) break;
      attempt++;
      const wait = Math.min(30_000, retryMs * 2 ** Math.min(attempt - 1, 5));
      note(
        `cannot reach ${url.origin} (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}); retrying in ${Math.round(wait / 1000)}s`,
      );
      await sleep(wait, stop.signal);
      continue;
    }
    if (res.status >= 400 && res.status < 500) {
      throw new HubRequestError(await hubErrorMessage(res), EXIT.failed);
    }
    if (!res.ok || !res.body) {
      attempt++;
      note(`${await hubErrorMessage(res)}; retrying`);
      await sleep(Math.min(30_000, retryMs * 2 ** Math.min(attempt - 1, 5)), stop.signal);
      continue;
    }
    attempt = 0;
    const parser = createParser({
      onRetry: (ms) => {
        retryMs = ms;
      },
      onEvent: (msg) => {
        if (msg.id !== undefined) lastEventId = msg.id;
        if (msg.event === 'connected') {
          const c = JSON.parse(msg.data) as { connectionId: string; topics: string[] };
          note(`connected to ${url.origin} as ${c.connectionId}, topics ${c.topics.join(' ')}`);
          return;
        }
        if (msg.event === 'heartbeat') return;
        if (msg.event === 'reset') {
          note(`history reset: ${msg.data} (events may have been missed)`);
          return;
        }
        if (msg.id === undefined) {
          note(`${msg.event ?? 'message'}: ${msg.data}`);
          return;
        }
        received++;
        if (values.json) {
          process.stdout.write(`${msg.data}\n`);
        } else {
          const e = JSON.parse(msg.data) as Envelope;
          const width = process.stdout.columns ?? 120;
          const head = `${clock(e.time)}  ${e.topic}  ${e.type}  `;
          process.stdout.write(
            `${out('dim', clock(e.time))}  ${out('bold', e.topic)}  ${out(colorFor(e.type), e.type)}  ${preview(e.data, Math.max(20, width - head.length))}\n`,
          );
        }
        if (received >= limit) stop.abort();
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
      if (!stop.signal.aborted) note('the hub closed the stream; reconnecting');
    } catch {
      if (!stop.signal.aborted) note('connection lost; reconnecting');
    }
    if (!stop.signal.aborted) await sleep(retryMs, stop.signal);
  }
  return EXIT.ok;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
