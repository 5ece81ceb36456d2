import type { HubPlugin } from '../../core/hub-plugin.js';
import type { CommandHandler, CommandRegistry } from './command-registry.js';
import { COMMAND_PATH, commandRoute } from './command-route.js';

/**
 * Commands as a hub plugin: `hub.onCommand` registers into `registry`, `POST /commands/{name}`
 * calls it over HTTP (the WebSocket transport calls the same registry), and closing the hub
 * aborts the running ones.
 */
export function commandsPlugin(registry: CommandRegistry): HubPlugin {
  return {
    name: 'commands',
    install(host) {
      host.provideCommands((name, handler, options) =>
        registry.register(name, handler as CommandHandler, options),
      );
      host.route('POST', COMMAND_PATH, (req, params) =>
        commandRoute(req, params, registry, host.access.authorizer, host.options),
      );
      host.onClosing(() => registry.abortAll());
    },
  };
}
