/**
 * `node dist/server.mjs [all|hub|backend] [options]`: runs the demo's hub and backend together
 * (`all`, what `npm start` does) or one of them (the end-to-end tests kill and restart the hub).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSecret, publisherKey } from './data-dir.js';
import { startDemoBackend } from './demo-backend.js';
import { startDemoHub } from './demo-hub.js';

const USAGE = `Usage: node apps/demo/dist/server.mjs [all|hub|backend] [options]
  --port <n>       Port of the backend (the app's URL)        [5180]
  --hub-port <n>   Port of the hub                            [5181]
  --data <dir>     Data directory (SQLite files, secret)      [apps/demo/.data]
  --web <dir>      The built frontend                         [apps/demo/dist/web]
  --no-simulate    Do not run the simulators
`;

function port(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`--${name} must be a port number from 1 to 65535, got "${v}".\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        'hub-port': { type: 'string' },
        data: { type: 'string' },
        web: { type: 'string' },
        'no-simulate': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  }
  try {
    parsed = parse();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const mode = positionals[0] ?? 'all';
  if (!['all', 'hub', 'backend'].includes(mode) || positionals.length > 1) {
    process.stderr.write(`The mode is all, hub or backend, not "${positionals.join(' ')}".\n${USAGE}`);
    process.exit(2);
  }
  const here = new URL('.', import.meta.url).pathname;
  const appPort = port('port', values.port, 5180);
  const hubPort = port('hub-port', values['hub-port'], 5181);
  const dataDir = resolve(values.data ?? resolve(here, '../.data'));
  const secret = loadSecret(dataDir);
  const key = publisherKey(secret);
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  const closers: Array<() => Promise<void>> = [];
  // A line per part for scripts and tests; people get the sentence below.
  const machine = mode !== 'all' || !process.stdout.isTTY;

  if (mode !== 'backend') {
    const hub = await startDemoHub({
      port: hubPort,
      dataDir,
      secret,
      publisherKey: key,
      origins: [`http://127.0.0.1:${appPort}`, `http://localhost:${appPort}`],
    });
    closers.push(() => hub.close());
    if (machine) process.stdout.write(`${JSON.stringify({ demo: 'hub', url: hub.url })}\n`);
  }
  if (mode !== 'hub') {
    const backend = await startDemoBackend({
      port: appPort,
      dataDir,
      secret,
      publisherKey: key,
      hubUrl,
      webDir: resolve(values.web ?? resolve(here, 'web')),
      simulate: !values['no-simulate'],
      log: (m) => process.stderr.write(`${m}\n`),
    });
    closers.push(() => backend.close());
    if (machine) process.stdout.write(`${JSON.stringify({ demo: 'backend', url: backend.url })}\n`);
    if (mode === 'all') {
      process.stdout.write(
        `\n  Tidings demo running at ${backend.url}\n  (hub on ${hubUrl}; Ctrl+C stops)\n\n`,
      );
    }
  }
  const stop = () => {
    Promise.all(closers.map((c) => c())).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`The demo could not start: ${e.message}\n`);
  process.exit(1);
});
