import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, portInUseMessage } from './listen.js';

const START = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));
let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  port = (taken.address() as { port: number }).port;
});
afterAll(() => {
  taken.close();
});

/** A port nothing listens on (free a moment ago). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

function start(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [START, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => {
    stdout += d;
  });
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('a port in use', () => {
  it('names the port and the npm start flag that moves it', async () => {
    const server = createHttpServer();
    await expect(listen(server, port, '127.0.0.1', 'hub-port')).rejects.toThrow(
      `Port ${port} on 127.0.0.1, wanted by the demo's hub, is already in use (perhaps by a demo that is still running); stop what uses it, or pick another port: npm start -- --hub-port ${port + 10}.`,
    );
    await expect(listen(createHttpServer(), port, '127.0.0.1')).rejects.toThrow(
      `Port ${port} on 127.0.0.1, wanted by the demo, is already in use (perhaps by a demo that is still running); stop what uses it, or pick another port: npm start -- --port ${port + 10}.`,
    );
  });

  it('stops npm start with exit code 2 before it builds anything (--port)', async () => {
    const r = await start(['--port', String(port), '--hub-port', String(await freePort())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${portInUseMessage(port, '127.0.0.1', 'port')}\n`);
    expect(r.stdout).toBe('');
  });

  it('stops npm start with exit code 2 before it builds anything (--hub-port)', async () => {
    const r = await start([`--port=${await freePort()}`, '--hub-port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${portInUseMessage(port, '127.0.0.1', 'hub-port')}\n`);
    expect(r.stdout).toBe('');
  });
});
