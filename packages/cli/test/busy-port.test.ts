import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './spawn-cli.js';

let taken: Server;
let port: number;
beforeAll(async () => {
  // A real listener on 127.0.0.1, not a hub: whatever holds the port, the message is the same.
  taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  port = (taken.address() as { port: number }).port;
});
afterAll(() => {
  taken.close();
});

const message = (p: number) =>
  `tidings serve: Port ${p} on 127.0.0.1 is already in use (perhaps by a hub that is still running); stop what uses it, or start on another port: tidings serve --port ${p + 1} (--port 0 picks a free one).\n`;

describe('tidings serve on a port in use', () => {
  it('exits 2 naming the port and the command to run instead', async () => {
    const r = await run(['serve', '--dev', '--memory', '--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message(port));
  });

  it('says the same with --workers, before forking any worker', async () => {
    const r = await run(['serve', '--dev', '--memory', '--workers', '2', '--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message(port));
    expect(r.stdout).toBe('');
  });
});
