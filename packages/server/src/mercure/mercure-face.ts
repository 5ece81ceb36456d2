import type { PluginHost } from '../core/hub-plugin.js';
import type { MercureAuth } from './mercure-auth.js';
import type { MercureDispatcher } from './mercure-dispatcher.js';
import type { ActiveSubscriptions } from './subscriptions.js';

/** What the Mercure routes share: the hub, the token rules, live delivery and the subscriptions. */
export interface MercureFace {
  readonly host: PluginHost;
  readonly auth: MercureAuth;
  readonly dispatcher: MercureDispatcher;
  readonly subscriptions: ActiveSubscriptions | undefined;
  /** Origins a cookie-authenticated publish may come from (`*` for any). */
  readonly publishOrigins: ReadonlySet<string>;
}
