import { BENCH_USAGE, bench } from './commands/bench.js';
import { PUBLISH_USAGE, publish } from './commands/publish.js';
import { serve } from './commands/serve.js';
import { SERVE_USAGE } from './commands/serve-usage.js';
import { SUBSCRIBE_USAGE, subscribe } from './commands/subscribe.js';
import { TOP_USAGE, top } from './commands/top.js';
import { HubRequestError } from './hub-http.js';
import { EXIT, UsageError } from './usage-error.js';

/** The `tidings --help` text: every command, one line each. */
export const USAGE = `Usage: tidings <command> [options]

Commands:
  serve        Run a hub (SQLite history in ./.tidings by default)
  publish      Publish one event
  subscribe    Tail events from topics or patterns
  top          A hub's live figures in the terminal (needs its admin token)
  bench        Benchmark the hub against peers (nchan, better-sse, node:http)

Run "tidings <command> --help" for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  serve: { run: serve, usage: SERVE_USAGE },
  publish: { run: publish, usage: PUBLISH_USAGE },
  subscribe: { run: subscribe, usage: SUBSCRIBE_USAGE },
  top: { run: top, usage: TOP_USAGE },
  bench: { run: bench, usage: BENCH_USAGE },
};

/** Runs the `tidings` command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('0.1.0\n');
    return EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`tidings: unknown command "${name}".\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tidings ${name}: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof HubRequestError) {
      process.stderr.write(`tidings ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`tidings ${name}: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}
