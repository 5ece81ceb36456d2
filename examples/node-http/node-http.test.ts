import { expect, it } from 'vitest';
import { streamOneEvent } from '../smoke.js';
import { start } from './app.js';

it('streams one event through the example', async () => {
  const app = await start();
  try {
    await streamOneEvent(app.url);
    const own = await fetch(`${app.url}/anything-else`);
    expect(await own.text()).toBe('The app answers here.\n');
  } finally {
    await app.close();
  }
});
