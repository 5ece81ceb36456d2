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
      host.onClosing(() => lazy.channel?.close());
    },
  };
}

/** The channel, created once on first use and then wired into the hub like any lane. */
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
      this.host.addLane(channel);
      this.host.addConnectionSource(channel);
      this.host.addOutboundSource(() => channel.bufferedBytes());
      this.host.onGap(() => channel.resync());
      // Loaded while the hub closed: nothing may open on it.
      if (this.host.isClosing) channel.close();
      return channel;
    });
    return this.loading;
  }
}
