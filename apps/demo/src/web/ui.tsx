/** Small shared pieces of the pages' look. */
import type { CSSProperties, ReactNode } from 'react';

export function PageHeader({
  title,
  lead,
  children,
}: {
  title: string;
  lead: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="page__head">
      <div>
        <h1>{title}</h1>
        <p className="muted">{lead}</p>
      </div>
      {children && <div className="page__actions">{children}</div>}
    </div>
  );
}

export function Card({
  title,
  aside,
  children,
  className,
}: {
  title: ReactNode;
  aside?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card ${className ?? ''}`}>
      <div className="card__head">
        <h2>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

/**
 * What a list shows when it has nothing: a title, and a sentence saying what will show up here
 * and when (required, so no empty state is a bare icon).
 */
export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty" data-empty="true">
      <svg className="empty__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M4 13h4l1.5 2.5h5L16 13h4" />
        <path d="M5.5 6.5 4 13v5a1.5 1.5 0 0 0 1.5 1.5h13A1.5 1.5 0 0 0 20 18v-5l-1.5-6.5A1.5 1.5 0 0 0 17 5.5H7a1.5 1.5 0 0 0-1.5 1z" />
      </svg>
      <strong>{title}</strong>
      <p className="muted">{children}</p>
    </div>
  );
}

/** The sentence shown while a list loads. */
export function Loading({ children }: { children: ReactNode }) {
  return (
    <div className="loading" role="status">
      {children}
    </div>
  );
}

/** A stable hue per user id (the same person has the same colour in every list and window). */
export function avatarHue(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  // Spread neighbouring ids (alice, bob, carol) apart on the colour wheel.
  return (h * 137) % 360;
}

/** A round initial in the user's colour. */
export function Avatar({
  id,
  name,
  size,
}: {
  id: string;
  name: string;
  size?: 'tiny' | 'small' | 'big' | undefined;
}) {
  return (
    <span
      className={`avatar${size ? ` avatar--${size}` : ''}`}
      data-user={id}
      style={{ '--avatar-hue': avatarHue(id) } as CSSProperties}
      aria-hidden="true"
    >
      {name.charAt(0).toUpperCase()}
    </span>
  );
}

export function Badge({
  tone,
  status,
  children,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted';
  status?: string | undefined;
  children: ReactNode;
}) {
  return (
    <span className={`badge badge--${tone}`} data-status={status}>
      {children}
    </span>
  );
}

const TONES: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  active: 'ok',
  running: 'ok',
  healthy: 'ok',
  online: 'ok',
  succeeded: 'ok',
  completed: 'ok',
  agreed: 'ok',
  resolved: 'ok',
  expired: 'bad',
  failed: 'bad',
  offline: 'bad',
  cancelled: 'muted',
  degraded: 'warn',
  scaling: 'info',
  pending: 'warn',
  paused: 'warn',
  in_progress: 'info',
  not_started: 'muted',
  wont_do: 'muted',
};

const STATUS_LABELS: Record<string, string> = {
  wont_do: 'Won’t do',
  not_started: 'Not started',
  in_progress: 'In progress',
};

/** A status as people write it: `wont_do` → "Won’t do", `running` → "Running". */
export function statusLabel(status: string): string {
  const s = STATUS_LABELS[status] ?? status.replaceAll('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={TONES[status] ?? 'muted'} status={status}>
      {statusLabel(status)}
    </Badge>
  );
}

export function relTime(iso: string, now = Date.now()): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const a = Math.abs(s);
  if (a < 5) return 'just now';
  const v = a < 60 ? `${a}s` : a < 3600 ? `${Math.round(a / 60)}m` : `${Math.round(a / 3600)}h`;
  return s >= 0 ? `in ${v}` : `${v} ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
