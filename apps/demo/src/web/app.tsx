import { useQueryClient } from '@tanstack/react-query';
import { ConnectionStatus, TidingsProvider, useForceLogout } from '@tidings/react';
import { type ReactNode, useEffect, useState } from 'react';
import { toast } from 'sonner';
import { mutate } from 'swr';
import { APP_TOPICS, events } from './events.js';
import { hubCookie } from './hub-token.js';
import { OfflineAware } from './offline-aware.js';
import { CollaborationPage } from './pages/collaboration.js';
import { ConsolePage } from './pages/console.js';
import { LeasesPage } from './pages/leases.js';
import { LoginPage } from './pages/login.js';
import { OperationsPage } from './pages/operations.js';
import { WorkloadsPage } from './pages/workloads.js';
import { PublishHealth } from './publish-health.js';
import { navigate, usePath } from './router.js';
import { session, useSession } from './session.js';
import { type ThemeChoice, theme, useTheme } from './theme.js';
import { Avatar } from './ui.js';

export interface DemoConfig {
  hubUrl: string;
  coachingSession: string;
}

const PAGES: Array<{ path: string; label: string; render: (c: DemoConfig) => ReactNode }> = [
  { path: '/leases', label: 'Leases', render: () => <LeasesPage /> },
  { path: '/workloads', label: 'Workloads', render: (c) => <WorkloadsPage hubUrl={c.hubUrl} /> },
  { path: '/operations', label: 'Operations', render: () => <OperationsPage /> },
  {
    path: '/collaboration',
    label: 'Collaboration',
    render: (c) => <CollaborationPage sessionId={c.coachingSession} />,
  },
  { path: '/sse-test', label: 'Console', render: () => <ConsolePage /> },
];

export function App() {
  const s = useSession();
  const [config, setConfig] = useState<DemoConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  useEffect(() => {
    fetch('/api/config')
      .then((r) => r.json() as Promise<DemoConfig>)
      .then(setConfig, () =>
        setConfigError('The demo backend is not reachable; is `npm start` still running?'),
      );
  }, []);
  if (configError) return <div className="center-note">{configError}</div>;
  if (!config) return null;
  if (!s) return <LoginPage />;
  return (
    // Keyed by user: a new sign-in never reuses the previous user's stream or buffered events.
    <TidingsProvider
      key={s.user.id}
      url={`${config.hubUrl}/events`}
      topics={APP_TOPICS}
      events={events}
      transport="auto"
      token={hubCookie}
      credentials="include"
    >
      <OfflineAware />
      <Shell config={config} />
    </TidingsProvider>
  );
}

function Shell({ config }: { config: DemoConfig }) {
  const path = usePath();
  const queryClient = useQueryClient();
  const s = useSession();
  useForceLogout(({ reason }) => {
    queryClient.clear();
    mutate(() => true, undefined, { revalidate: false });
    session.end(reason ?? 'An admin signed you out.');
    navigate('/login');
  });
  // Toasts belong to the page that raised them.
  useEffect(() => {
    if (path) toast.dismiss();
  }, [path]);
  useEffect(() => {
    if (path === '/' || path === '/login' || !PAGES.some((p) => p.path === path)) navigate('/leases');
  }, [path]);
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  return (
    <div className="shell">
      <header className="nav">
        <a
          className="brand"
          href="/leases"
          onClick={(e) => {
            e.preventDefault();
            navigate('/leases');
          }}
        >
          <span className="brand__mark" aria-hidden="true" />
          Tidings <span className="brand__sub">demo</span>
        </a>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a
              key={p.path}
              href={p.path}
              aria-current={p.path === path ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(p.path);
              }}
            >
              {p.label}
            </a>
          ))}
        </nav>
        <div className="nav__end">
          <ConnectionStatus />
          <ThemeToggle />
          <div className="user">
            {s && <Avatar id={s.user.id} name={s.user.name} />}
            <span className="user__name" title={s?.user.name}>
              {s?.user.name}
            </span>
            <button
              type="button"
              className="btn btn--ghost"
              onClick={() => {
                session.end(null);
                toast.dismiss();
              }}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <PublishHealth />
      <main className="page">{page?.render(config)}</main>
    </div>
  );
}

function ThemeToggle() {
  const choice = useTheme();
  const next: Record<ThemeChoice, ThemeChoice> = { system: 'dark', dark: 'light', light: 'system' };
  const label = { system: 'Auto', dark: 'Dark', light: 'Light' }[choice];
  return (
    <button
      type="button"
      className="btn btn--ghost theme-toggle"
      title={`Theme: ${label} (click for ${next[choice]})`}
      aria-label={`Theme: ${label}`}
      onClick={() => theme.set(next[choice])}
    >
      <span aria-hidden="true">{choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐'}</span> {label}
    </button>
  );
}
