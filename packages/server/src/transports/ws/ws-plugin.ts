import type { HubPlugin, PluginHost } from '../../core/hub-plugin.js';
import { checkRate } from '../../limits/rate.js';
import type { CommandRegistry } from '../../plugins/commands/command-registry.js';
import { upgradeRequired } from './upgrade-required.js';
import type { WsChannel } from './ws-channel.js';

/**
 * The WebSocket transport as a hub plugin: `GET /ws` and node:http upgrades. The channel, and the
 * `ws` library under it, load with the first upgrade: a hub serving only `fetch` never loads them.
 */
export function wsPlugin(commands: CommandRegistry): HubPlugin {
  return {
    name: 'websocket',
    install(host) {
      // An unusable rate is refused by createHub, not by the first connection.
      const rate = host.options.webSocketMessageRate;
      if (rate) checkRate(rate);
      const lazy = new LazyChannel(host, commands);
      host.route('GET', '/ws', async (req) => {
        // Only an upgrade loads the channel: without it, this is a plain GET.
        if (!lazy.channel) throw upgradeRequired();
        return lazy.channel.route(req);
      });
      host.provideUpgrade((req, socket, head) => {
        const handle = (r: Parameters<PluginHost['handle']>[0]) => host.handle(r);
        const ready = lazy.channel;
        if (ready) {
          ready.handleUpgrade(req, socket, head, handle);
          return;
        }
        // While the channel loads, a reset by the peer must not become an uncaught error.
        socket.on('error', () => socket.destroy());
        lazy.load().then(
          (channel) => channel.handleUpgrade(req, socket, head, handle),
          (err: unknown) => {
            host.observers().error('websocket upgrade', err);
            host.log.error({ err }, 'could not load the WebSocket transport');
            socket.destroy();
          },
        );
      });
    },
  };
}

/** The channel, created once on first use; its connections live in the hub's registry. */
class LazyChannel {
  channel: WsChannel | undefined;
  private loading: Promise<WsChannel> | undefined;

  constructor(
    private readonly host: PluginHost,
    private readonly commands: CommandRegistry,
  ) {}

  load(): Promise<WsChannel> {
    this.loading ??= Promise.all([import('ws'), import('./ws-channel.js')]).then(([ws, m]) => {
      const channel = new m.WsChannel(this.host, this.commands, ws);
      this.channel = channel;
      return channel;
    });
    return this.loading;
  }
}
