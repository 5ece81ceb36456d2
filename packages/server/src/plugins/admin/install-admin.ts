import type { Hub } from '../../core/hub-types.js';
import type { AdminHandle, AdminOptions } from './admin-options.js';
import { adminPlugin } from './admin-plugin.js';

/**
 * Serves the admin page and its API on `hub`, and lets admin-token holders subscribe to
 * `$sys/…` topics:
 *
 * - `GET /admin`: the dashboard (HTML, no external resources). It is itself a Tidings client:
 *   it subscribes to `$sys/stats` through `GET /events`.
 * - `GET /admin/stats`: the same figures as JSON (`tidings top` polls it).
 * - `POST /admin/disconnect` with `{"connection":"id"}` or `{"user":"u1"}`: closes connections
 *   on this node (on every process of the hub, with `peers`); clients reconnect (and are refused
 *   if their credentials were revoked).
 *
 * It installs the admin plugin on `hub`, through the same plugin interface as the hub's own
 * features.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto';
 * const hub = createHub();
 * const token = randomBytes(24).toString('base64url'); // open /admin?token=<token> once
 * const admin = installAdmin(hub, { token });
 * // at shutdown:
 * admin.stop();
 * await hub.close();
 * ```
 * @throws {RangeError} when the token is shorter than 8 characters.
 * @see AdminOptions for every option and its default.
 */
export function installAdmin(hub: Hub, o: AdminOptions): AdminHandle {
  const plugin = adminPlugin(o);
  plugin.install(hub);
  return { tracker: plugin.tracker, stop: () => plugin.stop() };
}
