import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A server under test, started in its own process. */
export interface RunningServer {
  readonly name: string;
  readonly port: number;
  /** The root process: CPU and RSS are summed over it and its descendants. */
  readonly pid: number;
  /** Path (with query) of the SSE stream of `topic`. */
  subscribePath(topic: string): string;
  /** The bytes of one HTTP/1.1 keep-alive request publishing `body` (a JSON object) to `topic`. */
  publishRequest(topic: string, body: string): Buffer;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Last lines the process printed, for error messages. */
  output(): string;
}

/** Options every server gets. */
export interface StartOptions {
  /** CPU list for `taskset -c`, or undefined not to pin. */
  cpus: string | undefined;
  /** Port to listen on (0 = any free one). */
  port?: number;
}

/** How to start one kind of server. */
export interface ServerKind {
  readonly name: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  start(opts: StartOptions): Promise<RunningServer>;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** The built `tidings` CLI of this monorepo. */
export const TIDINGS_BIN = here('../../packages/cli/dist/bin.js');
// From src/ (tests) or dist/ alike: the fixtures run as built JavaScript.
const FIXTURES = here('../dist/fixtures/');

function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [cmd, args] : ['taskset', ['-c', cpus, cmd, ...args]];
}

/** A free TCP port on 127.0.0.1 (for servers that cannot report the one they picked). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

interface Spawned {
  proc: ChildProcess;
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Spawns a server and waits until it listens: for the `{"tidings":"listening"}` line when it prints
 * one, else until `port` accepts connections.
 */
function spawnServer(
  cmd: string,
  args: string[],
  opts: { cpus: string | undefined; port?: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<Spawned> {
  const [c, a] = pinned(opts.cpus, cmd, args);
  const proc = spawn(c, a, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (port: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ proc, port, output: () => out, stop });
    };
    const timer = setTimeout(() => {
      done = true;
      void stop();
      reject(new Error(`${cmd} did not start listening within 30 s. Its output:\n${out}`));
    }, 30_000);
    let line = '';
    proc.stdout?.on('data', (d: Buffer) => {
      keep(d);
      line += d.toString();
      for (const l of line.split('\n')) {
        if (!l.startsWith('{"tidings":"listening"')) continue;
        finish(Number(new URL((JSON.parse(l) as { url: string }).url).port));
      }
      if (line.length > 100_000) line = '';
    });
    proc.once('exit', (code, sig) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code ?? sig}) before listening. Its output:\n${out}`));
    });
    if (opts.port) {
      const port = opts.port;
      const poll = async () => {
        while (!done) {
          if (await canConnect(port)) return finish(port);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      void poll();
    }
  });
}

function request(port: number, method: string, path: string, body: string, type: string): Buffer {
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Options of the Tidings hub under test. */
export interface TidingsOptions {
  /** SQLite history in a fresh directory (default), or `memory`. */
  store: 'sqlite' | 'memory';
  /** The directory for SQLite (kept across a restart); a fresh one when absent. */
  dataDir?: string;
  /** `--workers N` (needs a CLI that has it). */
  workers?: number;
}

/** The Tidings hub, started with the built CLI (`tidings serve --dev`). */
export function tidingsKind(o: TidingsOptions = { store: 'memory' }): ServerKind {
  const name = o.workers ? `tidings×${o.workers}` : 'tidings';
  return {
    name,
    unavailable: () =>
      existsSync(TIDINGS_BIN)
        ? undefined
        : `${TIDINGS_BIN} is missing; build the monorepo first (npx tsc -b).`,
    async start(opts) {
      const dir =
        o.store === 'sqlite' ? (o.dataDir ?? mkdtempSync(join(tmpdir(), 'tidings-bench-'))) : undefined;
      const args = [TIDINGS_BIN, 'serve', '--dev', '--log-level', 'warn', '--port', String(opts.port ?? 0)];
      if (dir) args.push('--data', dir);
      else args.push('--memory');
      if (o.workers) args.push('--workers', String(o.workers));
      const s = await spawnServer(process.execPath, args, { cpus: opts.cpus });
      return {
        name,
        port: s.port,
        pid: s.proc.pid!,
        subscribePath: (topic) => `/events?topic=${encodeURIComponent(topic)}`,
        publishRequest: (topic, body) =>
          request(
            s.port,
            'POST',
            '/publish',
            `{"topic":"${topic}","type":"b","data":${body}}`,
            'application/json',
          ),
        async stop() {
          await s.stop();
          if (dir && !o.dataDir) rmSync(dir, { recursive: true, force: true });
        },
        output: s.output,
      };
    },
  };
}

function nodeFixture(name: string, file: string): ServerKind {
  return {
    name,
    unavailable: () => undefined,
    async start(opts) {
      const s = await spawnServer(
        process.execPath,
        [join(FIXTURES, file), '--port', String(opts.port ?? 0)],
        {
          cpus: opts.cpus,
        },
      );
      return {
        name,
        port: s.port,
        pid: s.proc.pid!,
        subscribePath: (topic) => `/events?topic=${encodeURIComponent(topic)}`,
        publishRequest: (topic, body) =>
          request(s.port, 'POST', `/publish?topic=${encodeURIComponent(topic)}`, body, 'application/json'),
        stop: s.stop,
        output: s.output,
      };
    },
  };
}

/** The naive node:http peer (`fixtures/naive-server.ts`). */
export const naiveKind = nodeFixture('naive', 'naive-server.js');
/** The better-sse peer (`fixtures/better-sse-server.ts`). */
export const betterSseKind = nodeFixture('better-sse', 'better-sse-server.js');

const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** nchan (nginx module, C): one worker process, messages kept in memory. */
export const nchanKind: ServerKind = {
  name: 'nchan',
  unavailable() {
    if (!which('nginx')) return 'nginx is not installed (bench/setup installs nginx and libnginx-mod-nchan).';
    if (!existsSync(NCHAN_MODULE))
      return `${NCHAN_MODULE} is missing (bench/setup installs libnginx-mod-nchan).`;
    return undefined;
  },
  async start(opts) {
    const dir = mkdtempSync(join(tmpdir(), 'nchan-bench-'));
    mkdirSync(join(dir, 'tmp'));
    const port = opts.port || (await freePort());
    const conf = `load_module ${NCHAN_MODULE};
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 19900; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 600s;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /events {
      nchan_subscriber eventsource;
      nchan_channel_id $arg_topic;
      nchan_eventsource_ping_interval 15;
    }
    location = /publish {
      nchan_publisher;
      nchan_channel_id $arg_topic;
      nchan_message_buffer_length 1000;
      nchan_message_timeout 10m;
    }
  }
}
`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const s = await spawnServer(
      'nginx',
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      {
        cpus: opts.cpus,
        port,
      },
    );
    return {
      name: 'nchan',
      port,
      pid: s.proc.pid!,
      subscribePath: (topic) => `/events?topic=${encodeURIComponent(topic)}`,
      publishRequest: (topic, body) =>
        request(port, 'POST', `/publish?topic=${encodeURIComponent(topic)}`, body, 'application/json'),
      async stop() {
        await s.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      output: s.output,
    };
  },
};

/** Every server kind by name. */
export const SERVER_KINDS: Record<string, ServerKind> = {
  tidings: tidingsKind(),
  naive: naiveKind,
  'better-sse': betterSseKind,
  nchan: nchanKind,
};
