import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHub, startHub, until } from './helpers.js';

let h: RunningHub | undefined;
afterEach(async () => {
  await h?.close();
});

describe('a client that leaves before its stream opens', () => {
  it('leaves no connection behind when it disconnects while authorization is still running', async () => {
    let authorizing = 0;
    h = await startHub({
      authorizer: {
        async authorizeSubscribe() {
          authorizing++;
          await new Promise((r) => setTimeout(r, 150));
          return { principal: { user: 'u' } };
        },
        async authorizePublish() {
          return {};
        },
      },
    });
    const port = Number(new URL(h.url).port);
    for (let i = 0; i < 5; i++) {
      const s = connect(port, '127.0.0.1');
      s.write('GET /events?topic=a HTTP/1.1\r\nHost: hub\r\n\r\n');
      await until(() => authorizing === i + 1);
      s.destroy();
    }
    await new Promise((r) => setTimeout(r, 400));
    await until(
      () => h?.hub.connections().length === 0,
      3000,
      () => `${h?.hub.connections().length} left open`,
    );
  });
});

describe('hub.fetch with a request aborted before its stream opens', () => {
  it('opens no connection', async () => {
    h = await startHub({
      authorizer: {
        async authorizeSubscribe() {
          await new Promise((r) => setTimeout(r, 50));
          return { principal: {} };
        },
        async authorizePublish() {
          return {};
        },
      },
    });
    const abort = new AbortController();
    const pending = h.hub.fetch(new Request('http://hub.test/events?topic=a', { signal: abort.signal }));
    abort.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    expect(h.hub.connections()).toHaveLength(0);
  });
});
