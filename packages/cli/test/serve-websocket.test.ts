import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsPeer } from '../../server/test/ws-helpers.js';
import { run, type ServeProcess, serve } from './spawn-cli.js';

let hub: ServeProcess;
beforeAll(async () => {
  hub = await serve(['--memory']);
});
afterAll(() => {
  hub.proc.kill('SIGTERM');
});

describe('tidings serve', () => {
  it('serves the WebSocket channel on /ws, with the same events as /events', async () => {
    const peer = await WsPeer.open(hub.url, ['cli/ws']);
    try {
      expect(peer.connected).toMatchObject({ op: 'connected', topics: ['cli/ws'] });
      const out = await run(['publish', '--url', hub.url, 'cli/ws', 'note', '{"n":1}']);
      expect(out.code).toBe(0);
      const [ev] = await peer.waitForEvents(1);
      expect(ev).toMatchObject({ op: 'event', topic: 'cli/ws', type: 'note', data: { n: 1 } });
      const health = (await (await fetch(`${hub.url}/healthz`)).json()) as { connections: number };
      expect(health.connections).toBe(1);
    } finally {
      peer.close();
    }
  });
});
