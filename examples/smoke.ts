/**
 * The examples' smoke test: one event published over HTTP reaches a subscriber through the
 * running example.
 */
import { expect } from 'vitest';
import { post, StreamReader } from '../packages/server/test/helpers.js';

/** Streams `topic` from `${url}${base}/events`, publishes one event to `${base}/publish`, and waits for it. */
export async function streamOneEvent(url: string, base = '/live', headers: Record<string, string> = {}) {
  const r = await StreamReader.open(url, ['smoke'], { path: `${base}/events`, headers });
  try {
    expect(r.response.status).toBe(200);
    await r.waitFor((x) => x.of('connected').length === 1, 15_000);
    const res = await post(
      url,
      { topic: 'smoke', type: 'ping', data: { ok: true } },
      { path: `${base}/publish`, headers },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const [ev] = await r.waitForEvents(1, 15_000);
    expect(ev).toMatchObject({ topic: 'smoke', type: 'ping', data: { ok: true } });
  } finally {
    await r.close();
  }
}
