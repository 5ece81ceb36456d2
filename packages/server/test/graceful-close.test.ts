import { afterEach, describe, expect, it } from 'vitest';
import { type RunningHub, StreamReader, startHub, until } from './helpers.js';

let h: RunningHub | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a stream closed gracefully', () => {
  it('ignores events dispatched between end() and the socket closing (no "write after end")', async () => {
    h = await startHub();
    const r = await StreamReader.open(h.url, ['a']);
    await until(() => h?.hub.connections().length === 1);
    const id = h.hub.connections()[0]?.id as string;
    // Ending is asynchronous on node:http: the connection stays indexed until 'close' fires, so
    // the publish below is dispatched to a response that has already ended.
    h.hub.disconnect(id, 'disconnected');
    await h.hub.publish({ topic: 'a', type: 't', data: 1 });
    await r.waitFor((x) => x.ended);
    expect(r.error).toBeUndefined();
    expect(r.events).toEqual([]);
    await r.close();
  });
});
