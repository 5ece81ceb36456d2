import type { Connection } from './connection.js';
import type { DebugLog } from './debug-log.js';
import type { ClientEnvironment, TimerHandle } from './environment.js';

/** What the visibility policy reads of its client. */
export interface VisibilityHost {
  /** The connection this tab holds, if any. */
  readonly connection: Connection | undefined;
  /** Between connect() and disconnect(). */
  readonly active: boolean;
  readonly role: 'solo' | 'leader' | 'follower';
  /** With `shareAcrossTabs`: whether another tab of the group is visible. */
  readonly tabs: { anyVisible(): boolean } | undefined;
}

/** See {@link visibilityPolicy}. */
export interface VisibilityPolicy {
  /** This tab's visibility, or as leader any tab's, changed. */
  changed(): void;
  /** Drops a pending pause (the client disconnected). */
  cancel(): void;
}

/**
 * What page visibility does to the connection a tab holds. A page becoming visible resumes a
 * connection `pauseWhenHidden` closed, or else retries a waiting one at once. With
 * `pauseWhenHidden`, a connection whose pages (every tab's, when shared) stay hidden for
 * `pauseAfterMs` is closed, losing nothing: it resumes from the last id.
 */
export function visibilityPolicy(
  host: VisibilityHost,
  env: Pick<ClientEnvironment, 'timers' | 'visibility'>,
  log: DebugLog,
  pauseAfterMs: number | undefined,
): VisibilityPolicy {
  let timer: TimerHandle | undefined;
  const anyVisible = () => env.visibility.isVisible() || host.tabs?.anyVisible() === true;
  const cancel = () => {
    if (timer !== undefined) {
      env.timers.clearTimeout(timer);
      timer = undefined;
    }
  };
  return {
    cancel,
    changed() {
      const c = host.connection;
      if (!c || !host.active || host.role === 'follower') return;
      if (anyVisible()) {
        cancel();
        if (c.state.status === 'disconnected' && c.state.reason === 'paused') {
          log.debug('visible again: resuming');
          c.connect();
        } else {
          c.nudge('page became visible');
        }
        return;
      }
      if (pauseAfterMs === undefined || timer !== undefined) return;
      const st = c.state.status;
      if (st !== 'connecting' && st !== 'connected' && st !== 'reconnecting') return;
      timer = env.timers.setTimeout(() => {
        timer = undefined;
        if (!anyVisible() && host.connection === c) {
          log.debug(`hidden for ${pauseAfterMs} ms: pausing`);
          c.disconnect('paused');
        }
      }, pauseAfterMs);
    },
  };
}
