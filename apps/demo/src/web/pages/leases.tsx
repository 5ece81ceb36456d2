/** Seed 000: the DHCP lease table, live through TanStack Query invalidation and row flashes. */
import { useQuery } from '@tanstack/react-query';
import { useRowFlash } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { api } from '../api.js';
import type { Lease } from '../events.js';
import { Card, Empty, PageHeader, relTime, StatusBadge } from '../ui.js';

interface PoolStat {
  pool: string;
  size: number;
  used: number;
}

/** The rows with `lease` replaced or added (in the server's order: pool, then address). */
function upsert(rows: Lease[], lease: Partial<Lease> & { ip: string }): Lease[] {
  const i = rows.findIndex((l) => l.ip === lease.ip);
  if (i >= 0) return rows.map((l, j) => (j === i ? { ...l, ...lease } : l));
  const full = lease as Lease;
  const order = (l: Lease) =>
    `${l.pool}/${l.ip
      .split('.')
      .map((n) => n.padStart(3, '0'))
      .join('.')}`;
  return [...rows, full].sort((a, b) => order(a).localeCompare(order(b)));
}

export function LeasesPage() {
  const leases = useQuery({ queryKey: ['leases'], queryFn: () => api<Lease[]>('/api/leases') });
  const pools = useQuery({
    queryKey: ['stats', 'pools'],
    queryFn: () => api<PoolStat[]>('/api/stats/pools'),
  });
  const status = useQuery({
    queryKey: ['stats', 'status'],
    queryFn: () => api<Array<{ state: string; count: number }>>('/api/stats/status'),
  });
  // Each lease event patches the cached table at once (the row flashes without waiting for a
  // refetch); the table, to stay true to the server, and the stats cards refetch once per burst.
  useQueryInvalidation(
    { 'lease-*': [['leases'], ['stats']] },
    {
      updates: {
        'lease-added': { key: ['leases'], update: (rows: Lease[], e) => upsert(rows, e.data.lease) },
        'lease-updated': { key: ['leases'], update: (rows: Lease[], e) => upsert(rows, e.data.lease) },
        'lease-removed': {
          key: ['leases'],
          update: (rows: Lease[], e) => rows.filter((l) => l.ip !== e.data.lease.ip),
        },
      },
    },
  );
  const rows = useRowFlash(leases.data, (l) => l.ip);
  const count = (s: string) => status.data?.find((x) => x.state === s)?.count ?? 0;

  return (
    <>
      <PageHeader
        title="DHCP leases"
        lead="Leases as the DHCP server hands them out. New rows flash green, renewals blue, removals fade out in red."
      />
      <div className="stats">
        {(pools.data ?? []).map((p) => {
          const pct = Math.round((100 * p.used) / p.size);
          return (
            <div className="stat" key={p.pool} data-pool={p.pool}>
              <span className="stat__label">Pool {p.pool}</span>
              <span className="stat__value">
                {p.used}
                <small> / {p.size}</small>
              </span>
              <div className="meter" data-level={pct > 90 ? 'bad' : pct > 75 ? 'warn' : 'ok'}>
                <span className="meter__fill" style={{ width: `${pct}%` }} />
              </div>
            </div>
          );
        })}
        <div className="stat">
          <span className="stat__label">Status</span>
          <span className="stat__value">
            {count('active')}
            <small> active</small>
          </span>
          <span className="muted stat__sub">{count('expired')} expired, waiting for cleanup</span>
        </div>
      </div>
      <Card title="Leases" aside={<span className="muted">{leases.data?.length ?? 0} leases</span>}>
        {leases.isPending ? (
          <div className="loading">Loading leases…</div>
        ) : leases.isError ? (
          <Empty title="Leases could not be loaded">{leases.error.message}</Empty>
        ) : rows.length === 0 ? (
          <Empty title="No leases yet">
            Leases appear here as soon as a device asks the DHCP server for an address.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="leases">
              <thead>
                <tr>
                  <th>IP address</th>
                  <th>MAC</th>
                  <th>Hostname</th>
                  <th>Pool</th>
                  <th>State</th>
                  <th>Expires</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ key, row, flash }) => (
                  <tr key={key} data-ip={row.ip} data-flash={flash ?? undefined}>
                    <td className="mono">{row.ip}</td>
                    <td className="mono muted">{row.mac}</td>
                    <td>{row.hostname}</td>
                    <td>{row.pool}</td>
                    <td>
                      <StatusBadge status={row.state} />
                    </td>
                    <td className="muted">{relTime(row.expires_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
