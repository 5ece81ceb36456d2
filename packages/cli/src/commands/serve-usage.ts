import { formatSections, type OptionRow } from '../help-table.js';
import { MERCURE_SECTION } from './serve-mercure.js';
import { OBSERVABILITY_ROWS } from './serve-observability.js';
import { SECURITY_SECTIONS } from './serve-security.js';

const OPTIONS: readonly OptionRow[] = [
  { flags: '--port <n>', text: 'Port to listen on (0 picks a free one)', default: '8080' },
  { flags: '--host <addr>', text: 'Address to listen on', default: '127.0.0.1' },
  { flags: '--data <dir>', text: 'Directory of the SQLite history', default: './.tidings' },
  { flags: '--memory', text: 'Keep history in memory only (lost on restart)' },
  {
    flags: '--durability <mode>',
    text: 'process: survive kill -9; power: survive power loss',
    default: 'process',
  },
  {
    flags: '--redis <url>',
    text: 'Share history, live events, presence and revocations with every hub on this Redis, e.g. redis://127.0.0.1:6379',
  },
  { flags: '--redis-url-file <file>', text: 'The same URL read from a file, for a URL with a password' },
  {
    flags: '--redis-prefix <p>',
    text: 'Key namespace in Redis; hubs with the same one act as one',
    default: 'tidings',
  },
  {
    flags: '--redis-cluster <urls>',
    text: 'Run on a Redis Cluster instead (comma-separated seed nodes); topics spread over its primaries',
  },
  {
    flags: '--redis-replicas <n>',
    text: 'Acknowledge a publish once n replicas hold it (WAIT)',
    default: '0',
  },
  {
    flags: '--nats <url>',
    text: 'Share history, live events, presence and revocations with every hub on this NATS JetStream, e.g. nats://127.0.0.1:4222',
  },
  {
    flags: '--nats-prefix <p>',
    text: 'Stream, subject and bucket namespace in NATS',
    default: 'tidings',
  },
  {
    flags: '--presence-ttl <dur>',
    text: "How long a dead node's connections still count in presence",
    default: '30s',
  },
  { flags: '--retention-events <n>', text: 'Events kept per topic', default: '10000' },
  { flags: '--retention-age <dur>', text: 'Oldest event kept per topic, e.g. 30m or 7d', default: '24h' },
  { flags: '--heartbeat <dur>', text: 'Heartbeat interval on every stream', default: '15s' },
  { flags: '--retry <dur>', text: 'Reconnect delay sent to clients', default: '3s' },
  { flags: '--max-payload <size>', text: 'Largest event payload', default: '64KiB' },
  { flags: '--max-body <size>', text: 'Largest publish request', default: '1MiB' },
  {
    flags: '--max-buffer <size>',
    text: 'Unsent bytes a client may keep queued; above it the client must keep reading, past 4x it the client is dropped at once',
    default: '1MiB',
  },
  {
    flags: '--slow-grace <dur>',
    text: 'How long a client above --max-buffer may read nothing before it is dropped',
    default: '5s',
  },
  {
    flags: '--max-memory <size>',
    text: 'Memory budget per process, e.g. 512MiB or 2GiB: past it new streams, resumes and publishes get 503 with Retry-After; open streams keep being served. Without it, the smaller of 3/4 of the V8 heap limit and 1/2 of RAM',
    default: 'auto',
  },
  { flags: '--base-path <path>', text: 'Serve under a path prefix, e.g. /realtime' },
  { flags: '--node-id <id>', text: "This node's name in ids and logs", default: 'random' },
  {
    flags: '--workers <n>',
    text: "Processes sharing the port, one per core; the first process owns the SQLite history for all of them, or with --redis each is a Redis node. They act as one hub: /presence, /metrics and /admin count every worker's connections, whichever worker answers, and every limit holds for the hub as a whole",
    default: '1',
  },
  {
    flags: '--log-level <level>',
    text: 'fatal, error, warn, info, debug, trace or silent',
    default: 'info',
  },
  {
    flags: '--log-format <format>',
    text: 'pretty: one readable line per entry (coloured unless NO_COLOR is set); json: one JSON object per line, for log collectors and scripts. Without it, pretty on a terminal and json otherwise',
    default: 'auto',
  },
  ...OBSERVABILITY_ROWS,
  { flags: '-h, --help', text: 'Show this help' },
];

/** The `tidings serve --help` text. */
export const SERVE_USAGE = `Usage: tidings serve [options]

Runs a hub. History is kept in SQLite under --data unless --memory is given,
or in Redis with --redis, where several hubs run as one (publish, subscribe and
resume on any of them).

Durations take a unit: 500ms, 15s, 10m, 24h or 7d (a bare number such as 5 is
refused, as it could mean 5 ms, 5 s or 5 min). Sizes are bytes or take one:
64KiB, 1MiB, 1mb.
${formatSections([{ heading: 'Options:', rows: OPTIONS }, ...SECURITY_SECTIONS, MERCURE_SECTION])}`;
