import { HubCore } from './core/hub-core.js';
import type { Hub } from './core/hub-types.js';
import type { HubOptions } from './core/options.js';
import { memoryAdmission } from './limits/memory-admission.js';
import { mercurePlugin } from './mercure/mercure-plugin.js';
import { isMercurePrivate } from './mercure/topic-mapping.js';
import { CommandRegistry } from './plugins/commands/command-registry.js';
import { commandsPlugin } from './plugins/commands/commands-plugin.js';
import { presencePlugin } from './plugins/presence/presence-plugin.js';
import { securityPlugin } from './plugins/security/security.js';
import { SysChannel } from './plugins/sys/sys-channel.js';
import { ssePlugin } from './transports/sse/sse-plugin.js';
import { wsPlugin } from './transports/ws/ws-plugin.js';

export type { FetchInfo, Hub, PublishResult, UpgradeHandler } from './core/hub-types.js';
export type { Middleware, RouteHandler, RouteParams, RouteResult } from './http/route.js';
export { SSE_HEADERS } from './transports/sse/sse-headers.js';

/**
 * Creates a hub.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createHub, memoryStore } from '@tidings/server';
 * const hub = createHub({ store: memoryStore() });
 * http.createServer(hub.handleNode).listen(8080);
 * await hub.publish({ topic: 'leases', type: 'lease-added', data: { ip: '10.0.0.7' } });
 * ```
 * @see HubOptions for every option and its default.
 */
export function createHub(options: HubOptions = {}): Hub {
  const sys = new SysChannel();
  // Mercure's private updates stay out of /events and /ws even on a node without Mercure: another
  // node may have published them into the shared history.
  const hub = new HubCore(options, sys, isMercurePrivate);
  try {
    // First: an unusable auth configuration throws before anything else starts, and its
    // middleware checks credentials before anything is charged or read.
    hub.install(securityPlugin(options));
    hub.use(
      memoryAdmission(
        hub.budget,
        (path) => path === '/ws' || hub.isStreamPath(path),
        hub.options.maxBodyBytes,
      ),
    );
    if (options.mercure) hub.install(mercurePlugin(options.mercure));
    const commands = new CommandRegistry(hub.options.commandTimeoutMs, hub.log, (where, err) =>
      hub.observers().error(where, err),
    );
    hub.install(ssePlugin(sys));
    hub.install(commandsPlugin(commands));
    hub.install(wsPlugin(commands));
    hub.install(presencePlugin());
  } catch (e) {
    // Release what the plugins installed so far set up (the engine stays the caller's).
    hub.abort();
    throw e;
  }
  hub.start();
  return hub;
}
