/** The first rows of a fresh demo database, so every page has something to show at once. */
import { type Db, now } from './app-db.js';

/** DHCP pools: name, prefix, size. */
export const POOLS = [
  { name: 'office', prefix: '10.0.1.', size: 40 },
  { name: 'guest', prefix: '10.0.2.', size: 24 },
  { name: 'iot', prefix: '10.0.3.', size: 16 },
] as const;

export const PROJECTS = [
  { id: 'checkout', name: 'Checkout' },
  { id: 'search', name: 'Search' },
  { id: 'billing', name: 'Billing' },
] as const;

export const COACHING_SESSION = 'cs-1';

const HOSTS = ['laptop', 'phone', 'printer', 'tv', 'camera', 'desk', 'tablet', 'sensor', 'nas', 'watch'];
const NAMES = ['ana', 'ben', 'chloe', 'dev', 'emma', 'farid', 'gwen', 'hugo', 'ines', 'jonas', 'kai', 'lea'];

/** A source of numbers in [0, 1), like `Math.random`; the simulators' tests pass a seeded one. */
export type Random = () => number;

export const pick = <T>(xs: readonly T[], random: Random = Math.random): T =>
  xs[Math.floor(random() * xs.length)] as T;

export function randomMac(random: Random = Math.random): string {
  return Array.from({ length: 6 }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join(':');
}

export function randomHostname(random: Random = Math.random): string {
  return `${pick(NAMES, random)}-${pick(HOSTS, random)}`;
}

/** A subscriber's RADIUS user name. */
export function randomSubscriber(random: Random = Math.random): string {
  return `${pick(NAMES, random)}${Math.floor(random() * 90) + 10}@isp.example`;
}

/** When a lease handed out at `from` (ms) ends: 30 to 120 minutes later. */
export function leaseExpiry(
  minutes = 30 + Math.floor(Math.random() * 90),
  from: number = Date.now(),
): string {
  return new Date(from + minutes * 60_000).toISOString();
}

/** Fills an empty database; a database that has data keeps it (restarts keep the demo's state). */
export function seed(db: Db): void {
  const has = db.prepare('SELECT count(*) AS n FROM projects').get() as { n: number };
  if (has.n > 0) return;
  const t = now();
  db.transaction(() => {
    const lease = db.prepare('INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const pool of POOLS) {
      for (let i = 10; i < 10 + Math.floor(pool.size / 2); i++) {
        lease.run(`${pool.prefix}${i}`, randomMac(), randomHostname(), pool.name, 'active', leaseExpiry(), t);
      }
    }
    const project = db.prepare('INSERT INTO projects VALUES (?, ?, ?)');
    for (const p of PROJECTS) project.run(p.id, p.name, 'healthy');
    const cluster = db.prepare('INSERT INTO clusters VALUES (?, ?, ?, ?)');
    cluster.run('eu-1', 'eu-west-1', 'Frankfurt', 'healthy');
    cluster.run('us-1', 'us-east-1', 'Virginia', 'healthy');
    const workload = db.prepare('INSERT INTO workloads VALUES (?, ?, ?, ?, ?, ?, ?)');
    const wl: Array<[string, string, string]> = [
      ['checkout', 'eu-1', 'checkout-api'],
      ['checkout', 'us-1', 'payments-worker'],
      ['search', 'eu-1', 'indexer'],
      ['search', 'us-1', 'query-api'],
      ['billing', 'eu-1', 'invoicer'],
      ['billing', 'us-1', 'ledger'],
    ];
    for (const [p, c, n] of wl) workload.run(`${p}-${n}`, p, c, n, 'running', 3, t);
    const onu = db.prepare('INSERT INTO onus VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 12; i++) {
      onu.run(
        `ONU-${String(i).padStart(4, '0')}`,
        `OLT-${1 + (i % 3)}`,
        `SUB-${1000 + i}`,
        'online',
        -18 - Math.random() * 6,
        t,
      );
    }
    const session = db.prepare('INSERT INTO radius_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 1; i <= 6; i++) {
      session.run(
        `rs-${i}`,
        randomSubscriber(),
        `NAS-${1 + (i % 2)}`,
        `100.64.0.${i + 10}`,
        t,
        t,
        i * 1_200_000,
        i * 340_000,
      );
    }
    const item = db.prepare(
      'INSERT INTO coaching_items (kind, session_id, body, status, created_by, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    item.run(
      'goal',
      COACHING_SESSION,
      'Lead the on-call rotation by the end of the quarter',
      'in_progress',
      'alice',
      'alice',
      t,
    );
    item.run(
      'agreement',
      COACHING_SESSION,
      'We meet every other Tuesday for 45 minutes',
      'agreed',
      'alice',
      'bob',
      t,
    );
    item.run(
      'action',
      COACHING_SESSION,
      'Write the runbook for the leases service',
      'not_started',
      'bob',
      'bob',
      t,
    );
  })();
}
