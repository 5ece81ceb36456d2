import { validateEventId, validateEventType, validateTopic } from '@tidings/protocol';
import { parseFlags } from '../args.js';
import { endpoint, HubRequestError, hubErrorMessage, unreachable } from '../hub-http.js';
import { parseHubUrl } from '../parse-values.js';
import { tokenFromFlags } from '../secret-flag.js';
import { EXIT, UsageError } from '../usage-error.js';

export const PUBLISH_USAGE = `Usage: tidings publish [options] <topic> <type> [data]

Publishes one event and prints its id once the hub has stored it.
[data] is JSON; "-" or omitting it with piped input reads JSON from stdin; omitted otherwise, null.

Options:
  --url <url>        The hub's address (or $TIDINGS_URL)     [http://127.0.0.1:8080]
  --id <id>          Your own event id (publishing it again is a no-op)
  --token-file <f>   File holding the bearer token (or $TIDINGS_TOKEN)
  --token <jwt>      The token itself: works, but every user of the machine sees it in the
                     process list (warning)
  -h, --help         Show this help

Exit codes: 0 stored, 1 refused by the hub, 2 bad command line, 3 hub unreachable.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `tidings publish`. */
export async function publish(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    url: { type: 'string' },
    id: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(PUBLISH_USAGE);
    return EXIT.ok;
  }
  const [topic, type, dataArg, ...rest] = positionals;
  if (!topic || !type)
    throw new UsageError(
      'tidings publish needs a topic and an event type, e.g. tidings publish leases lease-added \'{"ip":"10.0.0.7"}\'.',
    );
  if (rest.length > 0)
    throw new UsageError(`Too many arguments: "${rest[0]}". Quote the JSON data as one argument.`);
  const topicErr = validateTopic(topic);
  if (topicErr) throw new UsageError(topicErr.message);
  const typeErr = validateEventType(type);
  if (typeErr) throw new UsageError(typeErr);
  if (values.id !== undefined) {
    const idErr = validateEventId(values.id);
    if (idErr) throw new UsageError(idErr);
  }
  let raw: string;
  if (dataArg === '-' || (dataArg === undefined && !process.stdin.isTTY)) raw = await readStdin();
  else raw = dataArg ?? 'null';
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(
      `The data is not valid JSON (${(e as Error).message}). Quote it, e.g. '{"ip":"10.0.0.7"}'.`,
    );
  }
  const base = parseHubUrl(values.url ?? process.env.TIDINGS_URL ?? 'http://127.0.0.1:8080');
  const url = endpoint(base, '/publish');
  const token = tokenFromFlags('publish', values.token, values['token-file']);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ topic, type, data, ...(values.id !== undefined && { id: values.id }) }),
    });
  } catch (e) {
    throw unreachable(url, e);
  }
  if (!res.ok) throw new HubRequestError(await hubErrorMessage(res), EXIT.failed);
  const body = (await res.json()) as { id: string; duplicate?: boolean };
  process.stdout.write(`${body.id}\n`);
  if (body.duplicate)
    process.stderr.write(`An event with id ${body.id} was already stored; nothing was sent again.\n`);
  return EXIT.ok;
}
