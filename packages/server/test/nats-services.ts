/**
 * NATS for integration tests, next to `services.ts` (whose skip logic it reuses): the shared
 * server at `$TIDINGS_NATS_URL` (default `nats://127.0.0.1:4222`, JetStream enabled), a private
 * `nats-server -js` on a free port for fault cases, and clean-up of a test prefix.
 *
 * The shared server is used by every test run on the machine: give each test its own prefix
 * ({@link uniquePrefix}, with `_` for `-`), delete its stream and buckets afterwards
 * ({@link deleteNatsPrefix}), never stop or purge anything else.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, missingService } from './services.js';

/** The shared NATS, `$TIDINGS_NATS_URL` or the local default. */
export const NATS_URL = process.env.TIDINGS_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Reads the server's INFO line: `'jetstream'` when it has JetStream, `'plain'` without, and
 * undefined when nothing answers within a second.
 */
export function probeNats(url = NATS_URL): Promise<'jetstream' | 'plain' | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = netConnect({ host: u.hostname, port: Number(u.port || 4222) });
    let buf = '';
    const done = (r: 'jetstream' | 'plain' | undefined) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(1000, () => done(undefined));
    sock.once('error', () => done(undefined));
    sock.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n')) return;
      done(/"jetstream":\s*true/.test(buf) ? 'jetstream' : buf.startsWith('INFO') ? 'plain' : undefined);
    });
  });
}

/**
 * The shared NATS URL when it answers with JetStream; otherwise skips loudly (or throws under
 * `TIDINGS_REQUIRE_SERVICES=1`). Call at the top of a test file.
 */
export async function needNats(file: string): Promise<string | undefined> {
  const found = await probeNats();
  if (found === 'jetstream') return NATS_URL;
  missingService(
    found === 'plain' ? `NATS at ${NATS_URL} has no JetStream` : `NATS is not reachable at ${NATS_URL}`,
    file,
    'Start one with `nats-server -js -a 127.0.0.1 -p 4222` or set TIDINGS_NATS_URL.',
  );
  return undefined;
}

/** The `nats-server` binary, for tests that start (and restart) their own NATS. */
export function natsServerBinary(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server'], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n')[0] || undefined
    );
  } catch {
    return undefined;
  }
}

/** Like {@link needNats}, for tests that need the `nats-server` binary. */
export function needNatsServer(file: string): boolean {
  if (natsServerBinary()) return true;
  return missingService(
    'nats-server is not installed',
    file,
    'Install it (apt-get install nats-server); .ci/run does.',
  );
}

/** A prefix for stream, subjects and buckets that no other test run uses. */
export function uniqueNatsPrefix(label = 'test'): string {
  return `t_${label}_${randomBytes(5).toString('hex')}`;
}

/** Deletes the stream and KV buckets of a prefix on `url`. */
export async function deleteNatsPrefix(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url.replace(/^nats:\/\//, ''), maxReconnectAttempts: 0 });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of [
      `${prefix}_events`,
      ...['ids', 'presence', 'revocations'].map((b) => `KV_${prefix}_${b}`),
    ]) {
      await jsm.streams.delete(name).catch(() => {});
    }
  } finally {
    await nc.close();
  }
}

/**
 * A private `nats-server -js` on a free port with its store in a temp directory, for tests that
 * stop and restart NATS (JetStream keeps its file store across a restart) or purge its streams.
 */
export class OwnNats {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tidings-nats-'));

  private constructor(
    readonly port: number,
    private readonly jetstream: boolean,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(opts: { jetstream?: boolean } = {}): Promise<OwnNats> {
    const n = new OwnNats(await freePort(), opts.jetstream ?? true);
    await n.start();
    return n;
  }

  /** Starts (again) on the same port and store directory. */
  async start(): Promise<void> {
    const bin = natsServerBinary();
    if (!bin) throw new Error('nats-server is not installed.');
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.jetstream) args.push('-js', '-sd', this.dir);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
    });
    proc.stderr?.on('data', (d) => {
      out += d;
    });
    this.proc = proc;
    const end = Date.now() + 10_000;
    while ((await probeNats(this.url)) === undefined) {
      if (proc.exitCode !== null || Date.now() > end) {
        throw new Error(`nats-server on port ${this.port} did not start:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it: `SIGKILL` by default (a crash), `SIGTERM` for a clean shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  /** Stops it and removes its files. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
