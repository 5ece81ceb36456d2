/**
 * A real nginx reverse proxy for tests, started in the foreground with a generated config in a
 * temp dir and listening on a free port of 127.0.0.1. `proxy_buffering` stays at nginx's
 * default (on) and gzip is on for event streams: the hub's `X-Accel-Buffering: no` is what must
 * keep the stream flowing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, missingService } from './services.js';

/** The nginx binary, or `undefined` (after a loud skip, or a throw under TIDINGS_REQUIRE_SERVICES=1). */
export function needNginx(file: string): string | undefined {
  for (const bin of [process.env.TIDINGS_NGINX, '/usr/sbin/nginx', 'nginx']) {
    if (!bin) continue;
    try {
      execFileSync(bin, ['-v'], { stdio: 'ignore' });
      return bin;
    } catch {
      // try the next
    }
  }
  missingService(
    'nginx is not installed',
    file,
    'Install it (`apt-get install nginx`) or set TIDINGS_NGINX.',
  );
  return undefined;
}

/** A running nginx. */
export interface RunningNginx {
  /** Origin of the proxy, e.g. `http://127.0.0.1:1234`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts nginx proxying everything to `upstream` (an origin). With `ignoreAccelBuffering`,
 * nginx disregards the upstream's `X-Accel-Buffering` header, as a proxy that does not know it
 * would: the stream is then buffered.
 */
export async function startNginx(
  bin: string,
  upstream: string,
  opts: { ignoreAccelBuffering?: boolean } = {},
): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  # Common in real configs, and what makes buffering visible: gzip holds output until its buffer
  # fills unless the proxied response is unbuffered (each chunk then carries a flush).
  gzip on;
  gzip_types text/event-stream application/json;
  gzip_min_length 0;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 1h;
      ${opts.ignoreAccelBuffering ? 'proxy_ignore_headers X-Accel-Buffering;' : ''}
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  const log = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}\n${log()}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen within 30 s: ${stderr}\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
