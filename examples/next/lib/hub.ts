import { createHub, type Hub, memoryStore } from '@tidings/server';

const g = globalThis as { tidingsHub?: Hub };

/**
 * The process's one hub, created on first use: not while `next build` imports the routes, and
 * not again when `next dev` reloads a module. `TIDINGS_PUBLISHER_KEY` turns auth on.
 */
export function getHub(): Hub {
  const key = process.env.TIDINGS_PUBLISHER_KEY;
  g.tidingsHub ??= createHub({
    basePath: '/live',
    store: memoryStore(),
    ...(key ? { auth: { publisherKey: key } } : {}),
  });
  return g.tidingsHub;
}
