import { MERCURE_USAGE } from './serve-mercure.js';
import { OBSERVABILITY_USAGE } from './serve-observability.js';
import { SECURITY_USAGE } from './serve-security.js';

/** The `tidings serve --help` text. */
export const SERVE_USAGE = `Usage: tidings serve [options]

Runs a hub. History is kept in SQLite under --data unless --memory is given,
or in Redis with --redis, where several hubs run as one (publish, subscribe and
resume on any of them).

Options:
  --port <n>               Port to listen on (0 picks a free one)         [8080]
  --host <addr>            Address to listen on                           [127.0.0.1]
  --data <dir>             Directory of the SQLite history                [./.tidings]
  --memory                 Keep history in memory only (lost on restart)
  --durability <mode>      process: survive kill -9; power: survive power loss [process]
  --redis <url>            Share history, live events, presence and revocations
                           with every hub on this Redis, e.g. redis://127.0.0.1:6379
  --redis-url-file <file>  The same URL read from a file, for a URL with a password
  --redis-prefix <p>       Key namespace in Redis; hubs with the same one act as one [tidings]
  --redis-cluster <urls>   Run on a Redis Cluster instead (comma-separated seed nodes);
                           topics spread over its primaries
  --redis-replicas <n>     Acknowledge a publish once n replicas hold it (WAIT) [0]
  --presence-ttl <dur>     How long a dead node's connections still count in presence [30s]
  --retention-events <n>   Events kept per topic                          [10000]
  --retention-age <dur>    Oldest event kept per topic (e.g. 30m, 24h)    [24h]
  --heartbeat <dur>        Heartbeat interval on every stream             [15s]
  --retry <dur>            Reconnect delay sent to clients                [3s]
  --max-payload <size>     Largest event payload                          [64KiB]
  --max-body <size>        Largest publish request                        [1MiB]
  --max-buffer <size>      Unsent bytes a client may keep queued; above it the
                           client must keep reading, past 4x it the client is
                           dropped at once                                 [1MiB]
  --slow-grace <dur>       How long a client above --max-buffer may read
                           nothing before it is dropped                    [5s]
  --max-memory <size>      Memory budget per process, e.g. 512MiB or 2GiB: past
                           it new streams, resumes and publishes get 503 with
                           Retry-After; open streams keep being served
                           [min(3/4 of the V8 heap limit, 1/2 of RAM)]
  --base-path <path>       Serve under a path prefix, e.g. /realtime
  --node-id <id>           This node's name in ids and logs               [random]
  --workers <n>            Processes sharing the port, one per core; the first
                           process owns the SQLite history for all of them, or
                           with --redis each is a Redis node. They act as one
                           hub: /presence, /metrics and /admin count every
                           worker's connections, whichever worker answers,
                           and every limit holds for the hub as a whole    [1]
  --log-level <level>      fatal, error, warn, info, debug or silent      [info]
${OBSERVABILITY_USAGE}  -h, --help               Show this help
${SECURITY_USAGE}${MERCURE_USAGE}`;
