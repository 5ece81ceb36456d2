/**
 * The page the browser test renders and photographs: a small live "DHCP leases" dashboard built
 * from @tidings/react, plus every state of the status indicator side by side, light and dark.
 */
import { createClient, defineEvents } from '@tidings/client';
import { ConnectionStatus, TidingsProvider, useEvent, useRowFlash } from '@tidings/react';
import { EventToaster, severityVariant } from '@tidings/react/toast';
import { type ReactNode, useState } from 'react';
import { createRoot } from 'react-dom/client';

interface Lease {
  ip: string;
  mac: string;
  host: string;
  pool: string;
}

const events = defineEvents({});
const params = new URLSearchParams(location.search);
const quiet = { logger: { debug() {}, warn() {}, error() {} } };

const client = (path: string, extra: Record<string, unknown> = {}) =>
  createClient({ url: path, topics: ['leases', 'alerts'], events, environment: quiet, ...extra });

const clients = {
  live: client('/events'),
  connecting: client('/silent/events'),
  reconnecting: client('/down/events', { backoff: { initialMs: 600_000, maxMs: 600_000 } }),
  disconnected: client('/events'),
};

const initial: Lease[] = [
  { ip: '10.0.0.11', mac: '3c:22:fb:91:0a:11', host: 'build-runner-1', pool: 'servers' },
  { ip: '10.0.0.12', mac: '3c:22:fb:91:0a:12', host: 'build-runner-2', pool: 'servers' },
  { ip: '10.0.1.40', mac: 'a4:83:e7:2c:19:40', host: 'maria-macbook', pool: 'office' },
  { ip: '10.0.1.41', mac: 'f0:18:98:4d:7e:41', host: 'reception-pc', pool: 'office' },
  { ip: '10.0.2.7', mac: 'b8:27:eb:11:22:07', host: 'printer-2f', pool: 'devices' },
];

function LeaseTable() {
  const [leases, setLeases] = useState(initial);
  useEvent('lease-added', (l) => setLeases((all) => [...all, l as Lease]));
  useEvent('lease-updated', (l) =>
    setLeases((all) => all.map((x) => (x.ip === (l as Lease).ip ? (l as Lease) : x))),
  );
  useEvent('lease-removed', (l) => setLeases((all) => all.filter((x) => x.ip !== (l as Lease).ip)));
  const rows = useRowFlash(leases, (l) => l.ip, { durationMs: 60_000 });
  return (
    <table className="leases">
      <thead>
        <tr>
          <th>IP address</th>
          <th>MAC</th>
          <th>Host</th>
          <th>Pool</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ key, row, flash }) => (
          <tr key={key} data-flash={flash ?? undefined}>
            <td className="mono">{row.ip}</td>
            <td className="mono muted">{row.mac}</td>
            <td>{row.host}</td>
            <td>
              <span className="pill">{row.pool}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Dashboard() {
  return (
    <TidingsProvider client={clients.live}>
      <section className="card" id="dashboard">
        <header className="card__head">
          <div>
            <h2>DHCP leases</h2>
            <p className="muted">All pools · updated live</p>
          </div>
          <ConnectionStatus />
        </header>
        <LeaseTable />
      </section>
      <EventToaster
        toaster={{ position: 'top-right', richColors: true, theme: 'system', visibleToasts: 5, expand: true }}
        dedupeMs={60_000}
        map={{
          build_complete: (e) => ({
            variant: 'success',
            title: `Build ${(e.data as { name: string }).name} finished`,
            description: 'All 412 tests passed in 3 min 12 s.',
            duration: Number.POSITIVE_INFINITY,
          }),
          build_failed: (e) => ({
            variant: 'error',
            title: `Build ${(e.data as { name: string }).name} failed`,
            description: (e.data as { reason: string }).reason,
            duration: Number.POSITIVE_INFINITY,
          }),
          'alert.raised': (e) => {
            const d = e.data as { severity: string; message: string };
            return {
              variant: severityVariant(d.severity),
              title: d.message,
              duration: Number.POSITIVE_INFINITY,
            };
          },
          workload_status_update: (e) => ({
            variant: 'info',
            title: `Workload ${(e.data as { name: string }).name} is running`,
            description: '3 of 3 replicas ready.',
            duration: Number.POSITIVE_INFINITY,
          }),
        }}
      />
    </TidingsProvider>
  );
}

function Badges({ theme }: { theme: 'light' | 'dark' }) {
  const row = (name: keyof typeof clients, enabled = true): ReactNode => (
    <TidingsProvider client={clients[name]} enabled={enabled}>
      <ConnectionStatus />
    </TidingsProvider>
  );
  return (
    <div className={`badges theme-box ${theme}`} data-theme={theme} id={`badges-${theme}`}>
      {row('live')}
      {row('connecting')}
      {row('reconnecting')}
      {row('disconnected', false)}
    </div>
  );
}

function Panels({ theme }: { theme: 'light' | 'dark' }) {
  return (
    <div className={`panels theme-box ${theme}`} data-theme={theme} id={`panels-${theme}`}>
      <TidingsProvider client={clients.live}>
        <ConnectionStatus variant="full" recentEvents={5} />
      </TidingsProvider>
      <TidingsProvider client={clients.reconnecting}>
        <ConnectionStatus variant="full" recentEvents={3} title="Live updates (backup hub)" />
      </TidingsProvider>
    </div>
  );
}

function App() {
  const part = params.get('part') ?? 'all';
  return (
    <main>
      {(part === 'all' || part === 'dashboard') && <Dashboard />}
      {(part === 'all' || part === 'badges') && (
        <>
          <Badges theme="light" />
          <Badges theme="dark" />
        </>
      )}
      {(part === 'all' || part === 'panels') && (
        <>
          <Panels theme="light" />
          <Panels theme="dark" />
        </>
      )}
    </main>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(<App />);
