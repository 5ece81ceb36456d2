/** Seed 000: the DHCP lease table, live through TanStack Query invalidation and row flashes. */
import { useQuery } from '@tanstack/react-query';
import { useRowFlash } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { type RefObject, useEffect, useMemo, useRef } from 'react';
import { api } from '../api.js';
import type { Lease } from '../events.js';
import { Card, Empty, Loading, PageHeader, relTime, StatusBadge } from '../ui.js';

interface PoolStat {
  pool: string;
  size: number;
  used: number;
}

/** The rows with `lease` replaced or added (the table sorts them). */
function upsert(rows: Lease[], lease: Partial<Lease> & { ip: string }): Lease[] {
  const i = rows.findIndex((l) => l.ip === lease.ip);
  if (i >= 0) return rows.map((l, j) => (j === i ? { ...l, ...lease } : l));
  return [...rows, lease as Lease];
}

/** The table's order: pools in the cards' order, then by address. */
function sortLeases(rows: Lease[] | undefined, pools: readonly string[]): Lease[] | undefined {
  if (!rows) return rows;
  const rank = (l: Lease) => {
    const i = pools.indexOf(l.pool);
    return i < 0 ? pools.length : i;
  };
  const ipKey = (ip: string) => ip.split('.').map((n) => n.padStart(3, '0'));
  return [...rows].sort(
    (a, b) => rank(a) - rank(b) || ipKey(a.ip).join('.').localeCompare(ipKey(b.ip).join('.')),
  );
}

/** A user who scrolled or clicked the table within this long is reading it: it does not jump. */
const READING_MS = 8000;

/**
 * Scrolls the table's own box (never the page) to a row that was just added, so its flash is seen,
 * unless the user is reading the table.
 */
function useRevealAdded(wrap: RefObject<HTMLDivElement | null>, addedKeys: string) {
  const touched = useRef(0);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const touch = () => {
      touched.current = Date.now();
    };
    const kinds = ['wheel', 'pointerdown', 'touchstart', 'keydown'] as const;
    for (const k of kinds) el.addEventListener(k, touch, { passive: true });
    return () => {
      for (const k of kinds) el.removeEventListener(k, touch);
    };
  }, [wrap]);
  useEffect(() => {
    const el = wrap.current;
    const last = addedKeys.split(' ').at(-1);
    if (!el || !last || Date.now() - touched.current < READING_MS) return;
    const row = el.querySelector<HTMLElement>(`tr[data-ip="${last}"]`);
    const head = el.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    if (!row) return;
    const box = el.getBoundingClientRect();
    const r = row.getBoundingClientRect();
    const top = r.top - box.top + el.scrollTop;
    if (top - head >= el.scrollTop && top + r.height <= el.scrollTop + el.clientHeight) return;
    el.scrollTo({ top: Math.max(0, top - head - (el.clientHeight - head - r.height) / 2) });
  }, [wrap, addedKeys]);
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
  const poolOrder = useMemo(() => (pools.data ?? []).map((p) => p.pool), [pools.data]);
  const sorted = useMemo(() => sortLeases(leases.data, poolOrder), [leases.data, poolOrder]);
  const rows = useRowFlash(sorted, (l) => l.ip);
  const wrap = useRef<HTMLDivElement>(null);
  useRevealAdded(
    wrap,
    rows
      .filter((r) => r.flash === 'added')
      .map((r) => r.key)
      .join(' '),
  );
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
          <Loading>Loading leases…</Loading>
        ) : leases.isError ? (
          <Empty title="Leases could not be loaded">{leases.error.message}</Empty>
        ) : rows.length === 0 ? (
          <Empty title="No leases yet">
            Leases appear here as soon as a device asks the DHCP server for an address.
          </Empty>
        ) : (
          <div className="table-wrap" ref={wrap} data-testid="leases-wrap">
            <table className="table table--fixed table--leases" data-testid="leases">
              <colgroup>
                <col style={{ width: '17%' }} />
                <col style={{ width: '21%' }} />
                <col style={{ width: '22%' }} />
                <col style={{ width: '12%' }} />
                <col style={{ width: '14%' }} />
                <col style={{ width: '14%' }} />
              </colgroup>
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
                    <td className="cell--clip" title={row.hostname}>
                      {row.hostname}
                    </td>
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
