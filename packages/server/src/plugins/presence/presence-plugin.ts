import type { HubPlugin } from '../../core/hub-plugin.js';
import { LocalPresence } from '../../engines/memory/local-presence.js';
import { presenceRoute } from './presence-route.js';
import { PresenceTracker } from './presence-tracker.js';

/**
 * Adds `GET /presence` to a hub. With an engine that shares presence between nodes (Redis), the
 * hub's connections are announced to it as they open and close; otherwise the hub counts its
 * own connections.
 */
export function presencePlugin(): HubPlugin {
  return {
    name: 'presence',
    install(host) {
      const engine = host.engine;
      const store = engine.presence ?? new LocalPresence(() => host.connections());
      host.route(
        'GET',
        '/presence',
        presenceRoute(store, (req, patterns) => host.access.authorizer.authorizeSubscribe(req, patterns)),
      );
      if (!engine.presence) return;
      const tracker = new PresenceTracker(store, host.log);
      host.observe(tracker.observer);
      // Withdraws this node's connections from the shared store and stops refreshing.
      host.onClose(() => tracker.stop());
    },
  };
}
