import { type ConnectionState, createClient } from '@tidings/client';
import { validatePattern } from '@tidings/protocol';
import { parseFlags } from '../args.js';
import { endpoint, HubRequestError } from '../hub-http.js';
import { parseHubUrl, parsePositiveInt } from '../parse-values.js';
import { clock, colorFor, painter, preview } from '../pretty.js';
import { tokenFromFlags } from '../secret-flag.js';
import { EXIT, UsageError } from '../usage-error.js';

export const SUBSCRIBE_USAGE = `Usage: tidings subscribe [options] <topic|pattern>...

Tails events in the terminal; reconnects and resumes without loss.
Patterns: "*" is one segment, a trailing "**" any number, e.g. tenant/acme/**.

Options:
  --url <url>              The hub's address (or $TIDINGS_URL)   [http://127.0.0.1:8080]
  --last-event-id <id>     Start by replaying everything after this id
  --count <n>              Exit after n events
  --json                   Print each event envelope as one JSON line
  --token-file <f>         File holding the bearer token (or $TIDINGS_TOKEN)
  --token <jwt>            The token itself: works, but every user of the machine sees
                           it in the process list (warning)
  -h, --help               Show this help
`;

/**
 * `tidings subscribe`: runs until interrupted or `--count` events arrived. It is a
 * `@tidings/client` in Node: the same reconnection, resume, watchdog and duplicate handling as in
 * a browser.
 */
export async function subscribe(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    url: { type: 'string' },
    'last-event-id': { type: 'string' },
    count: { type: 'string' },
    json: { type: 'boolean' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
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
  const token = tokenFromFlags('subscribe', values.token, values['token-file']);
  const out = painter(process.stdout);
  const err = painter(process.stderr);
  const note = (msg: string) => process.stderr.write(`${err('dim', msg)}\n`);

  const client = createClient({
    url,
    topics: positionals,
    token: token || undefined,
    lastEventId: values['last-event-id'],
    bufferSize: 0,
    environment: {
      logger: {
        debug: () => {},
        warn: () => {},
        error: (m, ...d) => note(`${m} ${d.map(String).join(' ')}`),
      },
    },
  });

  let received = 0;
  let done: (code: number | Error) => void = () => {};
  const finished = new Promise<number | Error>((r) => {
    done = r;
  });
  client.on('*', (e) => {
    if (received >= limit) return;
    received++;
    const { id, topic, type, time, data } = e;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ id, topic, type, time, data })}\n`);
    } else {
      const width = process.stdout.columns ?? 120;
      const head = `${clock(time)}  ${topic}  ${type}  `;
      process.stdout.write(
        `${out('dim', clock(time))}  ${out('bold', topic)}  ${out(colorFor(type), type)}  ${preview(data, Math.max(20, width - head.length))}\n`,
      );
    }
    if (received >= limit) done(EXIT.ok);
  });
  client.onReset((r) =>
    note(
      r.reason === 'no-resume-point'
        ? 'reconnected before any event arrived: events published meanwhile may have been missed'
        : `history reset: ${r.reason} after ${r.lastEventId} (events may have been missed)`,
    ),
  );
  client.onForceLogout((p) => note(`the hub ended this session: ${p.reason}`));
  let previous: ConnectionState['status'] | undefined;
  let announced: string | null = null;
  client.onState((s) => {
    const changed = s.status !== previous;
    previous = s.status;
    if (s.status === 'connected' && s.connectionId !== null && s.connectionId !== announced) {
      announced = s.connectionId;
      note(`connected to ${url.origin} as ${s.connectionId}, topics ${positionals.join(' ')}`);
    } else if (s.status === 'reconnecting' && s.nextRetryAt !== null && s.lastError) {
      const wait = Math.max(0, s.nextRetryAt - Date.now());
      note(
        `${s.lastError.message} Retrying in ${wait < 1000 ? `${wait}ms` : `${Math.round(wait / 1000)}s`}.`,
      );
    } else if (changed && s.status === 'error') {
      // The library's advice is addressed to code; here a person re-runs the command.
      const message = (s.lastError?.message ?? 'The subscription failed.')
        .replace('then call connect()', 'then run the command again')
        .replace('Call connect() to try again.', 'Run the command again to retry.');
      done(new HubRequestError(message, EXIT.failed));
    } else if (changed && s.status === 'disconnected' && s.reason !== 'client') {
      done(EXIT.ok);
    }
  });
  const stop = () => done(EXIT.ok);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  client.connect();
  const result = await finished;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  client.disconnect();
  if (result instanceof Error) throw result;
  return result;
}
