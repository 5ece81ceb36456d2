import type { Logger } from '../../core/logger.js';
import type { Engine } from '../../engines/engine.js';
import { LocalPresence } from '../../engines/memory/local-presence.js';
import type { Hub } from '../../hub.js';
import { type AuthorizeSubscribe, presenceRoute } from '../../routes/presence-route.js';
import { PresenceTracker } from './presence-tracker.js';

/** What the hub keeps to shut presence down. */
export interface PresenceHandle {
  /** Withdraws this node's connections from a shared store and stops refreshing. */
  stop(): Promise<void>;
}

/**
 * Adds `GET /presence` to a hub. With an engine that shares presence between nodes (Redis), the
 * hub's connections are announced to it as they open and close; otherwise the hub counts its
 * own connections.
 */
export function installPresence(
  hub: Hub,
  engine: Engine,
  authorize: AuthorizeSubscribe,
  log: Logger,
): PresenceHandle {
  const store = engine.presence ?? new LocalPresence(() => hub.connections());
  hub.route('GET', '/presence', presenceRoute(store, authorize));
  if (!engine.presence) return { stop: async () => {} };
  const tracker = new PresenceTracker(store, log);
  hub.observe(tracker.observer);
  return { stop: () => tracker.stop() };
}
