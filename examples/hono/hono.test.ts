import { expect, it } from 'vitest';
import { streamOneEvent } from '../smoke.js';
import { start } from './app.js';

it('streams one event through the example', async () => {
  const app = await start();
  try {
    await streamOneEvent(app.url);
    const own = await fetch(`${app.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'tea' }),
    });
    expect(own.status).toBe(201);
  } finally {
    await app.close();
  }
});
