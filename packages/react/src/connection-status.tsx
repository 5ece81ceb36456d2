import {
  type CSSProperties,
  type ReactNode,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import {
  type ConnectionLabels,
  type ConnectionToneOptions,
  connectionLabel,
  disconnectedReason,
} from './connection-labels.js';
import type { ConnectionSnapshot } from './connection-store.js';
import { formatTime } from './format-time.js';
import { useClient } from './use-client.js';
import { useConnection } from './use-connection.js';
import { useConnectionTone } from './use-connection-tone.js';
import { useEvents } from './use-events.js';

/** Props of {@link ConnectionStatus}. */
export interface ConnectionStatusProps extends ConnectionToneOptions {
  /**
   * `compact`: a dot and a label; its details (last event time, last error, attempts) open on a
   * click or tap, on Enter or Space, on keyboard focus and on mouse hover, and close on a second
   * click, Escape, a click elsewhere, or leaving it. For headers and toolbars. `full`: a panel
   * with connect / disconnect / reconnect buttons, the error's details and the recent events.
   * @defaultValue 'compact'
   */
  variant?: 'compact' | 'full' | undefined;
  /** Texts to replace (translations). */
  labels?: Partial<ConnectionLabels> | undefined;
  /** `full`: how many recent events to list; 0 hides the list. @defaultValue 8 */
  recentEvents?: number | undefined;
  /** `compact`: render nothing while connected, like an indicator that only speaks up on trouble. @defaultValue false */
  hideWhenLive?: boolean | undefined;
  /** `full`: the panel's heading. @defaultValue 'Live updates' */
  title?: ReactNode;
  /** Added to the badge's own `tidings-status` classes. */
  className?: string | undefined;
  /** Inline style of the badge. */
  style?: CSSProperties | undefined;
}

const statusOf = (s: ConnectionSnapshot) => s.status;
const attemptOf = (s: ConnectionSnapshot) => s.attempt;

/**
 * The connection's status for people: "Live" (green), "Connecting…" and "Reconnecting (attempt
 * n)…" (yellow), "Disconnected" (red). While the client keeps retrying it turns red too once a
 * reconnection attempt has failed (`downAfterAttempts`, 2) or the outage has lasted `downAfterMs`
 * (10 s): the hub is then really unreachable, not restarting. The tone is in `data-tone`
 * (`live`, `pending`, `down`). The label sits in a `role="status"` live region, so screen readers
 * announce changes. Style it with `@tidings/react/styles.css` and the `--tidings-*` CSS variables
 * (light and dark).
 *
 * The compact variant is a button (`aria-expanded`, `aria-controls`) whose details open on a
 * click or tap, Enter or Space, keyboard focus or mouse hover; a second click, Escape or a click
 * elsewhere closes them. It re-renders only when the status, the attempt or the tone changes;
 * the details subscribe to the connection's details while open.
 * @example
 * ```tsx
 * <ConnectionStatus />                       // header
 * <ConnectionStatus downAfterMs={5000} />    // red after 5 s of trying
 * <ConnectionStatus variant="full" />        // settings or debug page
 * ```
 * @see useConnectionTone for an indicator of your own.
 */
export function ConnectionStatus(props: ConnectionStatusProps): ReactNode {
  return props.variant === 'full' ? <StatusPanel {...props} /> : <StatusBadge {...props} />;
}

function classes(...names: (string | false | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}

/** The least gap kept between the details and the viewport's edge, in px. */
const EDGE_PX = 8;

/** Why the details are showing: a hover or a keyboard focus shows them, a click pins them. */
type Peek = 'hover' | 'focus' | null;

function StatusBadge({
  labels,
  hideWhenLive,
  className,
  style,
  downAfterAttempts,
  downAfterMs,
}: ConnectionStatusProps): ReactNode {
  const status = useConnection(statusOf);
  const attempt = useConnection(attemptOf);
  const tone = useConnectionTone({ downAfterAttempts, downAfterMs });
  const [pinned, setPinned] = useState(false);
  const [peek, setPeek] = useState<Peek>(null);
  const root = useRef<HTMLSpanElement>(null);
  const tipRef = useRef<HTMLSpanElement>(null);
  // A focus that follows a pointer press is that press's, not the keyboard's: the click decides.
  const pressing = useRef(false);
  const tipId = useId();
  const open = pinned || peek !== null;
  const close = () => {
    setPinned(false);
    setPeek(null);
  };

  // Anchored at the badge's left edge, the details would run off a narrow screen when the badge
  // sits at the right of a header: shift them back inside the viewport.
  useLayoutEffect(() => {
    const tip = tipRef.current;
    if (!open || !tip) return;
    tip.style.translate = '';
    const r = tip.getBoundingClientRect();
    const overflow = r.right - (document.documentElement.clientWidth - EDGE_PX);
    if (overflow > 0) tip.style.translate = `${-Math.min(overflow, Math.max(0, r.left - EDGE_PX))}px 0`;
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent | MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) {
        setPinned(false);
        setPeek(null);
      }
    };
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);

  if (hideWhenLive && status === 'connected') return null;
  return (
    <span
      ref={root}
      className={classes('tidings-status', className)}
      data-status={status}
      data-tone={tone}
      data-open={open ? '' : undefined}
      style={style}
    >
      <button
        type="button"
        className="tidings-status__main"
        aria-expanded={open}
        aria-controls={tipId}
        aria-describedby={open ? tipId : undefined}
        onPointerEnter={(e) => {
          if (e.pointerType === 'mouse') setPeek((p) => p ?? 'hover');
        }}
        onPointerLeave={(e) => {
          if (e.pointerType === 'mouse') setPeek((p) => (p === 'hover' ? null : p));
        }}
        onPointerDown={() => {
          pressing.current = true;
        }}
        onFocus={() => {
          if (!pressing.current) setPeek((p) => p ?? 'focus');
          pressing.current = false;
        }}
        onBlur={(e) => {
          if (!root.current?.contains(e.relatedTarget as Node | null)) close();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && open) {
            e.stopPropagation();
            close();
          }
        }}
        onClick={() => {
          pressing.current = false;
          // A click on details a hover opened keeps them open; otherwise it toggles what is shown.
          if (pinned || peek === 'focus') close();
          else setPinned(true);
        }}
      >
        <span className="tidings-status__dot" aria-hidden="true" />
        <span className="tidings-status__label" role="status" aria-live="polite">
          {connectionLabel({ status, attempt }, labels)}
        </span>
      </button>
      <span ref={tipRef} className="tidings-status__tooltip" role="tooltip" id={tipId} hidden={!open}>
        {open && <StatusDetails />}
      </span>
    </span>
  );
}

function StatusDetails(): ReactNode {
  const state = useConnection();
  const reason = disconnectedReason(state);
  return (
    <>
      <span className="tidings-status__row">
        <span>Last event</span>
        <span>{formatTime(state.lastEventAt)}</span>
      </span>
      <span className="tidings-status__row">
        <span>Attempts</span>
        <span>{state.attempt}</span>
      </span>
      {state.lastError && (
        <span className="tidings-status__error">
          <span>Last error</span>
          <span>{state.lastError.message}</span>
        </span>
      )}
      {reason && <span className="tidings-status__note">{reason}</span>}
    </>
  );
}

function StatusPanel({
  labels,
  recentEvents = 8,
  title = 'Live updates',
  className,
  style,
  downAfterAttempts,
  downAfterMs,
}: ConnectionStatusProps) {
  const state = useConnection();
  const client = useClient();
  const tone = useConnectionTone({ downAfterAttempts, downAfterMs });
  const active =
    state.status === 'connected' || state.status === 'connecting' || state.status === 'reconnecting';
  const reason = disconnectedReason(state);
  const headingId = useId();
  return (
    <section
      className={classes('tidings-panel', className)}
      data-status={state.status}
      data-tone={tone}
      style={style}
      aria-labelledby={headingId}
    >
      <header className="tidings-panel__header">
        <h3 className="tidings-panel__title" id={headingId}>
          {title}
        </h3>
        <span className="tidings-status" data-status={state.status} data-tone={tone}>
          <span className="tidings-status__main">
            <span className="tidings-status__dot" aria-hidden="true" />
            <span className="tidings-status__label" role="status" aria-live="polite">
              {connectionLabel(state, labels)}
            </span>
          </span>
        </span>
      </header>
      <dl className="tidings-panel__details">
        <div>
          <dt>Last event</dt>
          <dd>{formatTime(state.lastEventAt)}</dd>
        </div>
        <div>
          <dt>Connected since</dt>
          <dd>{state.status === 'connected' ? formatTime(state.lastConnectedAt) : '—'}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{state.attempt}</dd>
        </div>
        <div>
          <dt>Next retry</dt>
          <dd>
            {state.nextRetryAt !== null
              ? formatTime(state.nextRetryAt)
                  .replace(/\(.*\)/, '')
                  .trim()
              : '—'}
          </dd>
        </div>
        <div>
          <dt>Connection</dt>
          <dd className="tidings-panel__mono">{state.connectionId ?? '—'}</dd>
        </div>
        <div>
          <dt>Resume from</dt>
          <dd className="tidings-panel__mono">{state.lastEventId ?? '—'}</dd>
        </div>
      </dl>
      {reason && <p className="tidings-panel__note">{reason}</p>}
      {state.lastError && (
        <div className="tidings-panel__error" role="alert">
          <strong>
            Last error{state.lastError.status !== undefined ? ` · HTTP ${state.lastError.status}` : ''}
            {state.lastError.code ? ` · ${state.lastError.code}` : ''}
          </strong>
          <p>{state.lastError.message}</p>
          <small>
            {formatTime(state.lastError.at)} · attempt {state.lastError.attempt}
          </small>
        </div>
      )}
      <div className="tidings-panel__actions">
        <button type="button" className="tidings-button" onClick={() => client.connect()} disabled={active}>
          Connect
        </button>
        <button
          type="button"
          className="tidings-button"
          onClick={() => client.disconnect()}
          disabled={!active}
        >
          Disconnect
        </button>
        <button
          type="button"
          className="tidings-button"
          onClick={() => client.reconnect()}
          disabled={!active}
        >
          Reconnect
        </button>
      </div>
      {recentEvents > 0 && <RecentEvents limit={recentEvents} />}
    </section>
  );
}

function RecentEvents({ limit }: { limit: number }): ReactNode {
  const events = useEvents({ limit });
  return (
    <div className="tidings-panel__events">
      <h4>Recent events</h4>
      {events.length === 0 ? (
        <p className="tidings-panel__empty">No events yet.</p>
      ) : (
        <ol>
          {events
            .slice()
            .reverse()
            .map((e) => (
              <li key={e.id}>
                <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time>
                <span className="tidings-panel__type">{e.type}</span>
                <span className="tidings-panel__topic">{e.topic}</span>
              </li>
            ))}
        </ol>
      )}
    </div>
  );
}
