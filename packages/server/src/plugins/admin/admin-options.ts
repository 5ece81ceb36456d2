import type { HubPeers } from '../../engines/ipc/ipc-peers.js';
import type { ActivityTracker, ActivityTrackerOptions } from './activity-tracker.js';

/** Options of {@link installAdmin}. */
export interface AdminOptions extends ActivityTrackerOptions {
  /**
   * The admin token. It opens `GET /admin` (once as `?token=`, which sets a session cookie and
   * redirects, or as `Authorization: Bearer`), `GET /admin/stats`, `POST /admin/disconnect` and
   * subscriptions to `$sys/…` topics.
   */
  token: string;
  /** How often `$sys/stats` is sent to admin pages, in ms. @defaultValue 1000 */
  intervalMs?: number | undefined;
  /** Most connections listed in the stats (largest outbound queue first). @defaultValue 100 */
  maxConnectionsListed?: number | undefined;
  /** Use this tracker instead of creating one (it is observed all the same). */
  tracker?: ActivityTracker | undefined;
  /**
   * The other processes of this hub (`tidings serve --workers`): the stats, the page and
   * `$sys/stats` then cover every process (connections listed from all, figures summed), and a
   * disconnect reaches whichever process holds the connection.
   * @defaultValue none: this process only
   */
  peers?: HubPeers | undefined;
}

/** What {@link installAdmin} returns. */
export interface AdminHandle {
  /** The observer gathering the figures. */
  readonly tracker: ActivityTracker;
  /** Stops the `$sys/stats` timer and the event-loop monitor. Call it when the hub closes. */
  stop(): void;
}
