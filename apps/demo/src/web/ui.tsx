/** Small shared pieces of the pages' look. */
import type { ReactNode } from 'react';

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

/** What a list shows when it has nothing: what it will show, and why it is empty. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-empty="true">
      <div className="empty__icon" aria-hidden="true">
        ○
      </div>
      <strong>{title}</strong>
      {children && <p className="muted">{children}</p>}
    </div>
  );
}

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted';
  children: ReactNode;
}) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}

const TONES: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  active: 'ok',
  running: 'ok',
  healthy: 'ok',
  online: 'ok',
  succeeded: 'ok',
  completed: 'ok',
  agreed: 'ok',
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

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status] ?? 'muted'}>{status.replace('_', ' ')}</Badge>;
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
